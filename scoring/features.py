"""What a lead is scored on: only what is known when it is handed off.

Each feature is one SQL expression over the lead (`l`), the marketer who captured it (`cu`) and its
touches, the same on PostgreSQL and SQLite, turning the lead into one text value ("" for unknown).
Training reads the judged leads' values through these expressions, and serving joins them to the
weight tables, so both read a lead the same way. `feature_values` is the same reading in Python,
kept apart on purpose: the tests hold the SQL to it.

Never the rep, the owner, the status, the verdict or anything written after the handoff:
`FEATURE_COLUMNS` names every lead column a feature reads, and a test fails when an expression
reads another one. Touches count only up to the first handoff (`handed_off_at`, set once).
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from alignment.models import User
from leads.models import Lead, Touch
from leads.selectors import FREE_MAIL_DOMAINS

LEAD = Lead._meta.db_table
TOUCH = Touch._meta.db_table
USER = User._meta.db_table

# The columns of a lead the features read; everything else (owner, status, verdict, the dates after
# the handoff, touch_count which grows after it) is out of bounds.
FEATURE_COLUMNS = frozenset(
    {
        "id",
        "campaign_id",
        "source",
        "industry_id",
        "country",
        "region",
        "title",
        "email",
        "phone",
        "company",
        "estimated_value",
        "handed_off_at",
        "captured_by_id",
    }
)

# Title seniority: the first rank whose words appear in the title (as whole words, any case).
SENIORITY = (
    ("vp", "Vice president", ("vp", "svp", "evp", "vice president")),
    (
        "c_level",
        "C-level or owner",
        ("chief", "ceo", "cto", "cfo", "coo", "cmo", "cio", "president", "founder", "owner"),
    ),
    ("director", "Director or head", ("director", "head")),
    ("manager", "Manager or lead", ("manager", "lead")),
)
SENIORITY_LABELS = {rank: label for rank, label, _ in SENIORITY} | {"staff": "Other title", "": "No title"}

# Estimated value bands, upper bounds exclusive.
VALUE_BANDS = (
    ("under_5k", 5_000, "Under 5,000"),
    ("5k_25k", 25_000, "5,000–25,000"),
    ("25k_100k", 100_000, "25,000–100,000"),
)
VALUE_BAND_LABELS = {band: label for band, _, label in VALUE_BANDS} | {"100k_plus": "100,000 or more", "": "No value"}

TOUCH_LABELS = {"1": "One touch", "2": "Two touches", "3+": "Three or more touches"}
YES_NO = {"yes": "given", "no": "missing"}


@dataclass(frozen=True)
class Feature:
    name: str
    label: str
    # How the cohort sentence names a value: "of 40 leads {phrase}, 29 were judged good".
    phrase: str


FEATURES = (
    Feature("campaign", "Campaign", "from {value}"),
    Feature("source", "Source", "from source {value}"),
    Feature("channel", "Capture channel", "captured via {value}"),
    Feature("vertical", "Vertical", "in {value}"),
    Feature("country", "Country", "in {value}"),
    Feature("region", "Region", "in {value}"),
    Feature("seniority", "Title seniority", "with title rank “{value}”"),
    Feature("email_kind", "Email", "with a {value} email"),
    Feature("phone", "Phone", "whose phone number was {value}"),
    Feature("company", "Company", "whose company was {value}"),
    Feature("value_band", "Estimated value", "valued {value}"),
    Feature("touches", "Touches before handoff", "with {value} before handoff"),
    Feature("team", "Team", "captured by team {value}"),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
FEATURES_BY_NAME = {f.name: f for f in FEATURES}

_SAFE_LITERAL = re.compile(r"^[a-z0-9_ .+\-]+$")


def _literal(value: str) -> str:
    assert _SAFE_LITERAL.match(value), value  # constants of this module only, never user input
    return f"'{value}'"


def _words_any(lowered: str, words) -> str:
    padded = f"(' ' || {lowered} || ' ')"
    # `%%`: every statement runs with parameters, where a lone % would start a placeholder.
    return " OR ".join(f"{padded} LIKE '%% {_literal(w)[1:-1]} %%'" for w in words)


def _ascii_lower_sql(vendor: str, column: str) -> str:
    # Only A-Z, as `seniority_of` reads a title. SQLite's lower() is that; PostgreSQL's follows the
    # database's locale, unless the collation is "C", where it is also faster (half the title's cost).
    return f'lower({column} COLLATE "C")' if vendor == "postgresql" else f"lower({column})"


def _domain(vendor: str) -> str:
    if vendor == "postgresql":
        return "split_part(l.email, '@', 2)"
    return "substr(l.email, instr(l.email, '@') + 1)"


def feature_expressions(vendor: str) -> dict[str, str]:
    """Each feature's SQL, reading `l` (the lead) and `cu` (the user who captured it)."""
    title = _ascii_lower_sql(vendor, "l.title")
    seniority = " ".join(f"WHEN {_words_any(title, words)} THEN {_literal(rank)}" for rank, _, words in SENIORITY)
    bands = " ".join(f"WHEN l.estimated_value < {limit} THEN {_literal(band)}" for band, limit, _ in VALUE_BANDS)
    free = ", ".join(_literal(d) for d in sorted(FREE_MAIL_DOMAINS))
    # One aggregate per lead: the bucket comes out of the subquery, so the count runs once.
    touches = (
        f"(SELECT CASE WHEN COUNT(*) <= 1 THEN '1' WHEN COUNT(*) = 2 THEN '2' ELSE '3+' END FROM {TOUCH} t"
        " WHERE t.lead_id = l.id AND (l.handed_off_at IS NULL OR t.at <= l.handed_off_at))"
    )
    return {
        "campaign": "CAST(l.campaign_id AS TEXT)",
        "source": "l.source",
        "channel": (
            f"COALESCE((SELECT t.channel FROM {TOUCH} t WHERE t.lead_id = l.id ORDER BY t.at, t.id LIMIT 1), '')"
        ),
        "vertical": "COALESCE(CAST(l.industry_id AS TEXT), '')",
        "country": "l.country",
        "region": "CASE WHEN l.region = '' THEN '' ELSE l.country || '/' || l.region END",
        "seniority": f"CASE WHEN l.title = '' THEN '' {seniority} ELSE 'staff' END",
        "email_kind": f"CASE WHEN {_domain(vendor)} IN ({free}) THEN 'free' ELSE 'company' END",
        "phone": "CASE WHEN l.phone <> '' THEN 'yes' ELSE 'no' END",
        "company": "CASE WHEN l.company <> '' THEN 'yes' ELSE 'no' END",
        "value_band": f"CASE WHEN l.estimated_value IS NULL THEN '' {bands} ELSE '100k_plus' END",
        "touches": touches,
        "team": "COALESCE(CAST(cu.team_id AS TEXT), '')",
    }


def features_select(vendor: str, where: str) -> str:
    """`SELECT l.id, <each feature> FROM leads …  WHERE <where>`: the columns in FEATURE_NAMES' order."""
    expressions = feature_expressions(vendor)
    columns = ",\n    ".join(f"{expressions[name]} AS f_{name}" for name in FEATURE_NAMES)
    # OFFSET 0 keeps the query planners (PostgreSQL's and SQLite's) from folding this subquery into
    # the joins around it, which would evaluate each expression once per join condition it feeds.
    fence = "OFFSET 0" if vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    return (
        f"SELECT l.id AS lead_id,\n    {columns}\n"
        f"FROM {LEAD} l LEFT JOIN {USER} cu ON cu.id = l.captured_by_id\nWHERE {where}\n{fence}"
    )


# --- the same reading in Python (the tests' reference) ----------------------------------------


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def seniority_of(title: str) -> str:
    if title == "":
        return ""
    padded = f" {_ascii_lower(title)} "
    for rank, _, words in SENIORITY:
        if any(f" {w} " in padded for w in words):
            return rank
    return "staff"


def value_band_of(value) -> str:
    if value is None:
        return ""
    for band, limit, _ in VALUE_BANDS:
        if Decimal(value) < limit:
            return band
    return "100k_plus"


def feature_values(lead: Lead) -> dict[str, str]:
    """The lead's value of each feature, read in Python (a few queries: for the tests)."""
    touches = list(lead.touches.order_by("at", "id").values_list("channel", "at"))
    before = [t for t in touches if lead.handed_off_at is None or t[1] <= lead.handed_off_at]
    count = len(before)
    team = lead.captured_by.team_id if lead.captured_by_id else None
    domain = lead.email.split("@", 1)[1] if "@" in lead.email else lead.email
    return {
        "campaign": str(lead.campaign_id),
        "source": lead.source,
        "channel": touches[0][0] if touches else "",
        "vertical": str(lead.industry_id) if lead.industry_id else "",
        "country": lead.country,
        "region": f"{lead.country}/{lead.region}" if lead.region else "",
        "seniority": seniority_of(lead.title),
        "email_kind": "free" if domain in FREE_MAIL_DOMAINS else "company",
        "phone": "yes" if lead.phone else "no",
        "company": "yes" if lead.company else "no",
        "value_band": value_band_of(lead.estimated_value),
        "touches": "1" if count <= 1 else "2" if count == 2 else "3+",
        "team": str(team) if team else "",
    }
