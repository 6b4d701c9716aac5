"""Cells for CSV files people open in a spreadsheet (the dashboard's exports, an import's failed rows)."""

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
CSV_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula: risky leading characters get a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_DANGEROUS_PREFIXES) else text
