"""One table for `make bench`: each script records its figures beside their same-run baselines
(`record`), into the file named by BENCH_SUMMARY when set, and `python bench/summary.py FILE`
prints them all together once every script has run."""

import json
import os
import sys


def record(what: str, value: float, baseline: float, unit: str, target: str, met: bool, baseline_is: str) -> None:
    """A figure, its baseline measured in the same run, the target and whether it is met."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    row = {
        "what": what,
        "value": value,
        "baseline": baseline,
        "unit": unit,
        "target": target,
        "met": met,
        "baseline_is": baseline_is,
    }
    with open(path, "a") as out:
        out.write(json.dumps(row) + "\n")


def _figure(value, unit) -> str:
    if not unit and abs(value) < 10:  # a metric: AUC, Brier skill, calibration error
        return f"{value:.3f}"
    return f"{value:,.0f} {unit}" if abs(value) >= 100 else f"{value:,.1f} {unit}"


def main(path) -> None:
    with open(path) as source:
        rows = [json.loads(line) for line in source if line.strip()]
    headers = ("figure", "Alignment", "same-run baseline", "ratio", "target", "met")
    table = [
        (
            row["what"],
            _figure(row["value"], row["unit"]),
            f"{_figure(row['baseline'], row['unit'])} ({row['baseline_is']})",
            f"{row['value'] / row['baseline']:.2f}" if row["baseline"] else "",
            row["target"],
            "yes" if row["met"] else "NO",
        )
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *table, strict=True)]
    for line in (headers, tuple("-" * width for width in widths), *table):
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


if __name__ == "__main__":
    main(sys.argv[1])
