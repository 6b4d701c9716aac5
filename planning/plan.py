"""The plan: one proposed mini-campaign for each active rep × each (vertical, territory) they cover.

Each proposal carries its segment's last twelve months as its brief (leads, judged, good, bad, top
bad reasons, top pain themes), the rep's open requests for that segment, and the live campaign
that already serves it, if any. The figures come from grouped SQL over every segment at once —
a fixed number of queries however many reps and segments there are.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, timedelta

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from alignment.models import Role, User
from feedback.models import PainTheme
from leads.models import Lead, ReasonCode, SegmentMonth
from planning.evidence import EVIDENCE_DAYS, coded, codes_named, ids_counted, segment_counts, top_counts
from planning.models import OPEN_REQUEST_STATUSES, CampaignRequest, CampaignSegment, RequestStatus


@dataclass
class Proposal:
    rep: User
    vertical: object
    country: str
    region: str
    evidence: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    served_by: object = None

    @property
    def territory(self) -> str:
        return f"{self.country}/{self.region}" if self.region else self.country

    @property
    def key(self) -> str:
        return f"{self.rep.pk}:{self.vertical.pk}:{self.territory}"

    @property
    def top_themes(self) -> list:
        return self.evidence.get("pain_themes", [])[:3]


FIGURES = ("leads", "judged", "good", "bad")


def _matches(segment_region: str, row_region: str) -> bool:
    return not segment_region or segment_region.lower() == (row_region or "").lower()


def plan_for(*, now=None) -> list[Proposal]:
    """Every active rep's segments, with their briefs. Nine queries (ten on PostgreSQL): the reps,
    their territories and verticals; the segments' lead figures with their current verdicts' pain
    themes and their bad reasons (which each lead carries), grouped (on PostgreSQL, from the
    roll-up and from the leads of the year's first, partial month); the themes' and the reasons'
    codes; the open requests; the live campaigns made for segments and the delivered requests'
    campaigns."""
    now = now or timezone.now()
    since = now - timedelta(days=EVIDENCE_DAYS)
    reps = list(
        User.objects.filter(role=Role.REP, is_active=True)
        .prefetch_related("territories", "verticals")
        .order_by("first_name", "last_name", "username")
    )
    proposals = [
        Proposal(rep=rep, vertical=vertical, country=territory.country, region=territory.region)
        for rep in reps
        for vertical in sorted(rep.verticals.all(), key=lambda v: v.name)
        for territory in sorted(rep.territories.all(), key=lambda t: (t.country, t.region))
    ]
    if not proposals:
        return proposals
    verticals = {p.vertical.pk for p in proposals}
    countries = {p.country for p in proposals}
    places = _places(verticals=verticals, countries=countries, since=since)
    theme_codes = codes_named(PainTheme, *(place["themes"] for place in places.values()))
    reason_codes = codes_named(ReasonCode, *(place["reasons"] for place in places.values()))
    by_segment = defaultdict(list)
    for p in proposals:
        by_segment[(p.vertical.pk, p.country)].append(p)
    for p in proposals:
        p.evidence = {"leads": 0, "judged": 0, "good": 0, "bad": 0}
        p.evidence.update(top_bad_reasons=Counter(), pain_themes=Counter())
    for (vertical_id, country, region), place in places.items():
        for p in by_segment[(vertical_id, country)]:
            if _matches(p.region, region):
                for key in FIGURES:
                    p.evidence[key] += place[key]
                p.evidence["pain_themes"].update(coded(place["themes"], theme_codes))
                p.evidence["top_bad_reasons"].update(coded(place["reasons"], reason_codes))
    for p in proposals:
        p.evidence["top_bad_reasons"] = top_counts(p.evidence["top_bad_reasons"])
        p.evidence["pain_themes"] = top_counts(p.evidence["pain_themes"])
    _attach_requests_and_campaigns(proposals, verticals=verticals, countries=countries)
    return proposals


def _places(*, verticals, countries, since) -> dict:
    """The year's figures of each place (vertical id, country, region as the leads write them) of
    `verticals` × `countries`: leads, judged, good, bad, and the themes (of judged leads) and bad
    reasons (once per item) counted by id.

    On PostgreSQL the roll-up (`SegmentMonth`, a few hundred groups) gives whole months, and the
    leads only the part of `since`'s month that the months miss or hold too much of, whichever is
    shorter: the leads from `since` to the month's end are added, or those from the month's start
    to `since` taken away. Elsewhere every lead of the year is grouped: thousands of groups by the
    themes and bad reasons the leads carry as text, each distinct text split once."""
    places = defaultdict(_place)
    grouped = (
        Lead.objects.filter(industry_id__in=verticals, country__in=countries, merged_into__isnull=True)
        .values_list("industry_id", "country", "region", "verdict_themes", "bad_reasons")
        .annotate(**segment_counts())
        .order_by()
    )
    if connection.vendor != "postgresql":
        groups, sign = _rows(grouped.filter(captured_at__gte=since)), 1
    else:
        month = since.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        after = (month + timedelta(days=32)).replace(day=1)
        if since - month < after - since:
            start, sign, groups = month, -1, _rows(grouped.filter(captured_at__gte=month, captured_at__lt=since))
        else:
            start, sign, groups = after, 1, _rows(grouped.filter(captured_at__gte=since, captured_at__lt=after))
        months = (
            SegmentMonth.objects.filter(vertical__in=verticals, country__in=countries, month__gte=start.date())
            .values_list("vertical", "country", "region", "theme", "reason")
            .annotate(*(Sum(column) for column in FIGURES))
            .order_by()
        )
        for vertical_id, country, region, theme, reason, *figures in _rows(months):
            place = places[(vertical_id, country, region)]
            if theme:
                place["themes"][theme] += figures[1]
            elif reason:
                place["reasons"][reason] += figures[0]
            else:
                for key, n in zip(FIGURES, figures, strict=True):
                    place[key] += n
    # Each judged lead counts its verdict's themes once; each lead its bad reasons once per item.
    texts = defaultdict(lambda: (Counter(), Counter()))
    for industry_id, country, region, themes, reasons, *figures in groups:
        place = places[(industry_id, country, region)]
        for key, n in zip(FIGURES, figures, strict=True):
            place[key] += sign * n
        theme_texts, reason_texts = texts[(industry_id, country, region)]
        theme_texts[themes] += sign * figures[1]
        reason_texts[reasons] += sign * figures[0]
    for key, (theme_texts, reason_texts) in texts.items():
        places[key]["themes"].update(ids_counted(theme_texts))
        places[key]["reasons"].update(ids_counted(reason_texts))
    return places


def _place() -> dict:
    """A place's figures; its themes and reasons by id."""
    return {"leads": 0, "judged": 0, "good": 0, "bad": 0, "themes": Counter(), "reasons": Counter()}


def _rows(queryset) -> list[tuple]:
    """The queryset's rows as the cursor gives them: thousands of groups, read without a converter
    per value."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _segment_key(vertical_id, country, region):
    return (vertical_id, country, (region or "").lower())


def _attach_requests_and_campaigns(proposals, *, verticals, countries):
    index = {(p.rep.pk, *_segment_key(p.vertical.pk, p.country, p.region)): p for p in proposals}
    segments = defaultdict(list)
    for p in proposals:
        segments[_segment_key(p.vertical.pk, p.country, p.region)].append(p)
    requests = (
        CampaignRequest.objects.filter(
            status__in=OPEN_REQUEST_STATUSES,
            requester_id__in={p.rep.pk for p in proposals},
            vertical_id__in=verticals,
            country__in=countries,
        )
        .defer("evidence", "outcome", "note")
        .order_by("created_at")
    )
    for request in requests:
        p = index.get((request.requester_id, *_segment_key(request.vertical_id, request.country, request.region)))
        if p is not None:
            p.requests.append(request)
    made = CampaignSegment.objects.filter(
        campaign__active=True, vertical_id__in=verticals, country__in=countries
    ).select_related("campaign")
    delivered = CampaignRequest.objects.filter(
        status=RequestStatus.DELIVERED, campaign__active=True, vertical_id__in=verticals, country__in=countries
    ).select_related("campaign")
    for row in [*made, *delivered]:
        for p in segments.get(_segment_key(row.vertical_id, row.country, row.region), ()):
            if p.served_by is None:
                p.served_by = row.campaign
