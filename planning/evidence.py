"""The figures a campaign request carries: its segment's evidence and, once delivered, its outcome.

A segment is a vertical and a territory: the leads of that industry in that country, and in that
region when the territory names one (`DE` takes all of Germany, `DE/Bavaria` Bavaria only). Every
figure is one SQL aggregate; nothing here loops over leads.
"""

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from alignment.countries import country_code
from feedback.models import PainTheme
from leads.models import Lead, ReasonCode, VerdictValue

EVIDENCE_DAYS = 365
TOP = 5


def territory_parse(value: str) -> tuple[str, str]:
    """`DE` → ("DE", ""), `de/ Bavaria` → ("DE", "Bavaria"), as `add_member` writes territories.
    Raises ValueError for anything that does not start with a known two-letter country code."""
    text = str(value or "").strip()
    country, _, region = text.partition("/")
    country = country.strip()
    if len(country) != 2:
        raise ValueError("Write the territory as a country code, optionally with a region: DE or DE/Bavaria.")
    code = country_code(country)
    return code, region.strip()


def segment_q(*, vertical_id: int, country: str, region: str = "", prefix: str = "") -> Q:
    """Leads (or rows reaching leads through `prefix`, e.g. "lead__") in the segment."""
    q = Q(**{f"{prefix}industry_id": vertical_id, f"{prefix}country": country.upper()})
    if region:
        q &= Q(**{f"{prefix}region__iexact": region})
    return q & Q(**{f"{prefix}merged_into__isnull": True})


def segment_counts() -> dict:
    """A segment's leads counted as its evidence counts them: all, judged (a current verdict), good, bad."""
    return {
        "leads": Count("id"),
        "judged": Count("id", filter=~Q(verdict="")),
        "good": Count("id", filter=Q(verdict=VerdictValue.GOOD)),
        "bad": Count("id", filter=Q(verdict=VerdictValue.BAD)),
    }


def top_counts(counter: Counter) -> list[dict]:
    """The TOP biggest counts of (code, label) pairs, biggest first, then by code; a count that came
    to nothing (summed over parts, some taken away) is none."""
    rows = sorted(((key, n) for key, n in counter.items() if n > 0), key=lambda item: (-item[1], item[0]))[:TOP]
    return [{"code": code, "label": label, "count": n} for (code, label), n in rows]


def _ids(text: str) -> list[int]:
    """The ids a lead carries as text (`verdict_themes`, `bad_reasons`), repeats kept."""
    return [int(pk) for pk in filter(None, (text or "").split(","))]


def carried_counts(rows, column: str, weight: str) -> Counter:
    """How many times each id of `column` counts over grouped rows: each row's ids, repeats kept,
    times its `weight` (the number of its leads the ids stand for)."""
    texts = Counter()
    for row in rows:
        texts[row[column]] += row[weight]
    return ids_counted(texts)


def ids_counted(texts: Counter) -> Counter:
    """Each id the carried texts name, repeats kept, counted its text's weight times. Thousands of
    groups carry a few dozen distinct texts: each is split once."""
    counts = Counter()
    for text, n in texts.items():
        for pk in _ids(text):
            counts[pk] += n
    return counts


def codes_named(model, *id_sets) -> dict[int, tuple[str, str]]:
    """The codes and labels of the ids found (a dozen rows at most): one query, none when nothing
    was found."""
    ids = set().union(*id_sets)
    rows = model.objects.filter(pk__in=ids).values_list("pk", "code", "label") if ids else ()
    return {pk: (code, label) for pk, code, label in rows}


def coded(counts: Counter, codes: dict[int, tuple[str, str]]) -> Counter:
    return Counter({codes[pk]: n for pk, n in counts.items() if pk in codes})


def segment_evidence(*, vertical_id: int, country: str, region: str = "", now: datetime | None = None) -> dict:
    """The segment's last twelve months: leads captured, judged (a current verdict), good, bad,
    the top bad reasons (bad verdicts, rejections and losses), the lost reasons and the pain
    themes of the current verdicts, each with its count. Three queries (the second and third name
    the reasons and themes found, a dozen rows at most).

    Every figure comes from `lead_segment` alone, in one pass: the leads counted by lost reason,
    current verdict's themes and the bad reasons their items hold against them, which each lead
    carries. A segment costs its own few thousand index entries, not every item there is."""
    now = now or timezone.now()
    since = now - timedelta(days=EVIDENCE_DAYS)
    leads = Lead.objects.filter(
        segment_q(vertical_id=vertical_id, country=country, region=region), captured_at__gte=since
    )
    groups = list(
        leads.values("lost_reason__code", "lost_reason__label", "verdict_themes", "bad_reasons")
        .annotate(**segment_counts())
        .order_by()
    )
    totals = {key: sum(row[key] for row in groups) for key in ("leads", "judged", "good", "bad")}
    lost = Counter()
    for row in groups:
        if row["lost_reason__code"]:
            lost[(row["lost_reason__code"], row["lost_reason__label"])] += row["leads"]
    # A lead's current verdict's themes count once per judged lead (none without a verdict); its
    # bad reasons once per item.
    themed, reasons = carried_counts(groups, "verdict_themes", "judged"), carried_counts(groups, "bad_reasons", "leads")
    reason_codes = codes_named(ReasonCode, reasons)
    theme_codes = codes_named(PainTheme, themed)
    return {
        **totals,
        "top_bad_reasons": top_counts(coded(reasons, reason_codes)),
        "lost_reasons": top_counts(lost),
        "pain_themes": top_counts(coded(themed, theme_codes)),
        "since": since.date().isoformat(),
    }


def _share(good: int, judged: int) -> float | None:
    return round(good / judged, 4) if judged else None


def request_outcome(*, request, now: datetime | None = None) -> dict | None:
    """What the delivered request's campaign brought in its segment: leads, judged, good, the good
    share beside the segment's baseline (the good share of its leads from other campaigns captured
    over the same dates: from the campaign's first lead in the segment until now), wins and won
    revenue. None until delivered. Two queries."""
    if request.campaign_id is None or request.delivered_at is None:
        return None
    now = now or timezone.now()
    in_segment = Lead.objects.filter(
        segment_q(vertical_id=request.vertical_id, country=request.country, region=request.region)
    )
    ours = Q(campaign_id=request.campaign_id)
    first = in_segment.filter(ours).aggregate(first=Min("captured_at"))["first"]
    start = first or request.delivered_at
    figures = in_segment.filter(captured_at__gte=start, captured_at__lte=now).aggregate(
        leads=Count("id", filter=ours),
        judged=Count("id", filter=ours & ~Q(verdict="")),
        good=Count("id", filter=ours & Q(verdict=VerdictValue.GOOD)),
        won=Count("id", filter=ours & Q(won_at__isnull=False)),
        won_revenue=Sum("won_amount", filter=ours & Q(won_at__isnull=False)),
        baseline_judged=Count("id", filter=~ours & ~Q(verdict="")),
        baseline_good=Count("id", filter=~ours & Q(verdict=VerdictValue.GOOD)),
    )
    return {
        "leads": figures["leads"],
        "judged": figures["judged"],
        "good": figures["good"],
        "good_share": _share(figures["good"], figures["judged"]),
        "baseline_good_share": _share(figures["baseline_good"], figures["baseline_judged"]),
        "won": figures["won"],
        "won_revenue": f"{figures['won_revenue'] or Decimal(0):.2f}",
        "since": start.date().isoformat(),
    }
