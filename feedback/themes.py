"""Pain themes: the managed list reps tag verdicts with, and the voice of sales counted by segment.

A segment is a vertical × territory: the lead's industry, its country and its region (a region
only when the lead gives one). Counts come from voice of sales' daily roll-up (`leads.ThemeDay`)
and the verdicts of a period's part-days, in one statement; the reps' own words come beside them
as quotes, a few per count, from one more query.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Q

from alignment.days import company_day, company_tz
from alignment.errors import InvalidInput
from alignment.models import Vertical
from feedback.models import PainTheme, Verdict
from leads.models import Lead, ThemeDay

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
    newest quotes of each count. Two queries: the counts, and the newest quotes.

    The whole days of the period are summed from voice of sales' daily roll-up (`ThemeDay`), the
    hours of its first and last day read from the verdicts (`_count_sql`): a year is some fifty
    thousand rows instead of every tagged current verdict joined to its lead."""
    sql, params = _count_sql(start, end, vertical=vertical, country=country)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts = [
        ThemeCount(
            theme_code=code,
            theme_label=label,
            vertical_id=vertical_id or None,
            vertical=vertical_name or "",
            country=row_country or "",
            region=region or "",
            count=n,
        )
        for code, label, vertical_id, vertical_name, row_country, region, n in rows
    ]
    through = Verdict.pain_themes.through
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


def _day_start(day: date) -> datetime:
    """The moment the company's `day` begins."""
    return datetime.combine(day, time.min, tzinfo=company_tz())


def _count_sql(start: datetime | None, end: datetime | None, *, vertical: int | None, country: str):
    """`pain_theme_counts`' counts as one statement: `(theme code, label, vertical id or 0, its
    name, country, region, count)` rows, biggest first. The roll-up gives the days after `start`'s
    and before `end`'s; the current verdicts given in the rest of [start, end) are counted from
    the rows, by their lead's segment as it is now, as the roll-up counts them. A vertical since
    deleted has left its leads without one (`SET_NULL`): its rows count as no vertical."""
    through, verdicts, leads = (
        Verdict.pain_themes.through._meta.db_table,
        Verdict._meta.db_table,
        Lead._meta.db_table,
    )
    first = None if start is None else company_day(start) + timedelta(days=1)
    last = None if end is None else company_day(end)
    if first is not None and last is not None and first >= last:
        edges, days = [(start, end)], None
    else:
        edges = [(start, _day_start(first))] if first is not None else []
        if last is not None:
            edges.append((_day_start(last), end))
        days = (first, last)
    parts, params = [], []
    if days is not None:
        where = ["1 = 1"]
        for bound, sign in zip(days, (">=", "<"), strict=True):
            if bound is not None:
                where.append(f"r.day {sign} %s")
                params.append(connection.ops.adapt_datefield_value(bound))
        parts.append(
            "SELECT r.theme AS theme, r.vertical AS vertical, r.country AS country, r.region AS region, "
            f"r.count AS n FROM {ThemeDay._meta.db_table} r WHERE {' AND '.join(where)}"
        )
    for low, high in edges:
        parts.append(
            "SELECT x.paintheme_id, COALESCE(l.industry_id, 0), l.country, l.region, 1 "
            f"FROM {through} x JOIN {verdicts} e ON e.id = x.verdict_id JOIN {leads} l ON l.id = e.lead_id "
            "WHERE e.current = %s AND e.created_at >= %s AND e.created_at < %s"
        )
        params += [True, *(connection.ops.adapt_datetimefield_value(moment) for moment in (low, high))]
    filters = ["1 = 1"]
    if vertical:
        filters.append("d.vertical = %s")
        params.append(int(vertical))
    if country:
        filters.append("UPPER(d.country) = UPPER(%s)")
        params.append(country)
    # Summed on the narrow key first (a year: some forty thousand rows, hashed), then named: sorting
    # them by the themes' and verticals' text to group them spilled to disk.
    summed = (
        f"SELECT d.theme, d.vertical, d.country, d.region, SUM(d.n) AS n FROM ({' UNION ALL '.join(parts)}) d "
        f"WHERE {' AND '.join(filters)} GROUP BY d.theme, d.vertical, d.country, d.region HAVING SUM(d.n) > 0"
    )
    vertical_id = "CASE WHEN v.id IS NULL THEN 0 ELSE g.vertical END"
    sql = (
        f"SELECT t.code, t.label, {vertical_id}, v.name, g.country, g.region, SUM(g.n) AS n FROM ({summed}) g "
        f"JOIN {PainTheme._meta.db_table} t ON t.id = g.theme "
        f"LEFT JOIN {Vertical._meta.db_table} v ON v.id = g.vertical "
        f"{'WHERE v.id IS NOT NULL ' if vertical else ''}"
        f"GROUP BY t.code, t.label, t.position, {vertical_id}, v.name, g.country, g.region "
        "ORDER BY n DESC, t.position, v.name, g.country"
    )
    return sql, params


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
