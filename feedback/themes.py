"""Pain themes: the managed list reps tag verdicts with, and the voice of sales counted by segment.

A segment is a vertical × territory: the lead's industry, its country and its region (a region
only when the lead gives one). Counts come from one `GROUP BY` over the verdicts' themes; the
reps' own words come beside them as quotes, a few per count, from one more query.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q

from alignment.errors import InvalidInput
from feedback.models import PainTheme, Verdict
from leads.models import Lead

QUOTES_PER_COUNT = 3
QUOTES_SCANNED = 400


def pain_theme_list(*, active_only: bool = True):
    qs = PainTheme.objects.order_by("position", "label")
    return qs.filter(active=True) if active_only else qs


def pain_theme_active_codes() -> list[str]:
    return list(pain_theme_list().values_list("code", flat=True))


def pain_themes_active(codes) -> list[PainTheme]:
    """The active themes `codes` names (codes or rows), in the list's order. An unknown or
    retired code is bad input, named in the error so the rep can fix that one."""
    values = []
    for code in codes or ():
        value = code.code if isinstance(code, PainTheme) else str(code or "").strip()
        if value and value not in values:
            values.append(value)
    if not values:
        return []
    found = {theme.code: theme for theme in PainTheme.objects.filter(code__in=values, active=True)}
    unknown = [value for value in values if value not in found]
    if unknown:
        raise InvalidInput(
            "Choose pain themes from the list.",
            fields={"pain_themes": [f"Unknown or retired pain theme: {', '.join(unknown)}."]},
        )
    return sorted(found.values(), key=lambda theme: (theme.position, theme.label))


@dataclass
class ThemeCount:
    theme_code: str
    theme_label: str
    vertical_id: int | None
    vertical: str
    country: str
    region: str
    count: int
    quotes: list = field(default_factory=list)

    @property
    def territory(self) -> str:
        return f"{self.country}/{self.region}" if self.region else self.country

    @property
    def segment(self) -> str:
        return f"{self.vertical or 'No vertical'} · {self.territory or 'no country'}"


def _current_in(start: datetime | None, end: datetime | None, prefix: str = "") -> Q:
    """Current verdicts given in [start, end) (or rows reaching them through `prefix`, e.g.
    "verdict__": the themes' rows filter their one join to the verdict, not a second one)."""
    q = Q(**{f"{prefix}current": True})
    if start is not None:
        q &= Q(**{f"{prefix}created_at__gte": start})
    if end is not None:
        q &= Q(**{f"{prefix}created_at__lt": end})
    return q


def _verdicts_in(start: datetime | None, end: datetime | None):
    return Verdict.objects.filter(_current_in(start, end))


def pain_theme_counts(
    *, start: datetime | None, end: datetime | None = None, vertical: int | None = None, country: str = ""
) -> list[ThemeCount]:
    """How many leads' current verdicts named each theme in each segment, biggest first, with the
    newest quotes of each count. Two queries: the counts, and the newest quotes."""
    through = Verdict.pain_themes.through
    rows = through.objects.filter(_current_in(start, end, prefix="verdict__"))
    if vertical:
        rows = rows.filter(verdict__lead__industry_id=vertical)
    if country:
        rows = rows.filter(verdict__lead__country__iexact=country)
    rows = (
        rows.values(
            "paintheme__code",
            "paintheme__label",
            "verdict__lead__industry_id",
            "verdict__lead__industry__name",
            "verdict__lead__country",
            "verdict__lead__region",
        )
        .annotate(n=Count("verdict_id"))
        .order_by("-n", "paintheme__position", "verdict__lead__industry__name", "verdict__lead__country")
    )
    counts = [
        ThemeCount(
            theme_code=row["paintheme__code"],
            theme_label=row["paintheme__label"],
            vertical_id=row["verdict__lead__industry_id"],
            vertical=row["verdict__lead__industry__name"] or "",
            country=row["verdict__lead__country"] or "",
            region=row["verdict__lead__region"] or "",
            count=row["n"],
        )
        for row in rows
    ]
    if not counts:
        return counts
    by_key = {(c.theme_code, c.vertical_id, c.country, c.region): c for c in counts}
    quotes = (
        through.objects.filter(_current_in(start, end, prefix="verdict__"))
        .exclude(verdict__pain_points="")
        .filter(**({"verdict__lead__industry_id": vertical} if vertical else {}))
        .filter(**({"verdict__lead__country__iexact": country} if country else {}))
        .values(
            "paintheme__code",
            "verdict__lead__industry_id",
            "verdict__lead__country",
            "verdict__lead__region",
            "verdict__pain_points",
            "verdict__lead_id",
            "verdict__lead__company",
            "verdict__rep__first_name",
            "verdict__rep__last_name",
            "verdict__rep__username",
            "verdict__created_at",
        )
        .order_by("-verdict__created_at", "-verdict_id")[:QUOTES_SCANNED]
    )
    for quote in quotes:
        key = (
            quote["paintheme__code"],
            quote["verdict__lead__industry_id"],
            quote["verdict__lead__country"] or "",
            quote["verdict__lead__region"] or "",
        )
        count = by_key.get(key)
        if count is not None and len(count.quotes) < QUOTES_PER_COUNT:
            rep = " ".join(filter(None, [quote["verdict__rep__first_name"], quote["verdict__rep__last_name"]]))
            count.quotes.append(
                {
                    "text": quote["verdict__pain_points"],
                    "lead": quote["verdict__lead_id"],
                    "company": quote["verdict__lead__company"],
                    "rep": rep or quote["verdict__rep__username"],
                    "at": quote["verdict__created_at"],
                }
            )
    return counts


def pain_theme_leads(
    *,
    theme: str,
    vertical: int | None,
    country: str,
    region: str,
    start: datetime | None,
    end: datetime | None = None,
):
    """The leads behind one count of `pain_theme_counts`: the same filter, as leads, newest
    verdict first. An empty vertical or region means the leads without one, as the count did."""
    verdicts = _verdicts_in(start, end).filter(pain_themes__code=theme)
    leads = Lead.objects.filter(pk__in=verdicts.values("lead_id"))
    leads = leads.filter(industry_id=vertical) if vertical else leads.filter(industry__isnull=True)
    leads = leads.filter(Q(country__iexact=country) if country else Q(country=""))
    leads = leads.filter(Q(region__iexact=region) if region else Q(region=""))
    return leads.select_related("campaign", "industry", "owner").order_by("-id")
