"""The plan: one proposed mini-campaign for each active rep × each (vertical, territory) they cover.

Each proposal carries its segment's last twelve months as its brief (leads, judged, good, bad, top
bad reasons, top pain themes), the rep's open requests for that segment, and the live campaign
that already serves it, if any. The figures come from grouped SQL over every segment at once —
a fixed number of queries however many reps and segments there are.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from alignment.models import Role, User
from feedback.models import PainTheme
from leads.models import Lead, ReasonCode
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


def _matches(segment_region: str, row_region: str) -> bool:
    return not segment_region or segment_region.lower() == (row_region or "").lower()


def plan_for(*, now=None) -> list[Proposal]:
    """Every active rep's segments, with their briefs. Nine queries: the reps, their territories
    and verticals; the segments' lead figures with their current verdicts' pain themes and their
    bad reasons (which each lead carries), grouped; the themes' and the reasons' codes; the open
    requests; the live campaigns made for segments and the delivered requests' campaigns."""
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
    scope = Q(industry_id__in=verticals, country__in=countries, merged_into__isnull=True, captured_at__gte=since)
    # The leads' figures, their current verdicts' themes and the bad reasons their items hold
    # against them (which each lead carries), in one pass over `lead_segment`.
    grouped = (
        Lead.objects.filter(scope)
        .values_list("industry_id", "country", "region", "verdict_themes", "bad_reasons")
        .annotate(**segment_counts())
        .order_by()
    )
    # Thirteen thousand groups at a million leads: read as plain rows, without a converter per value.
    sql, params = grouped.query.sql_with_params()
    if connection.vendor != "postgresql":
        figures = _rows(sql, params)
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Its groups (a segment's every mix of themes and reasons) fit in memory: hashed in
                # each parallel worker, rather than every lead of the year sorted on disk.
                cursor.execute(
                    "SELECT set_config('work_mem', '32MB', true), set_config('parallel_tuple_cost', '0.001', true)"
                )
            figures = _rows(sql, params)
    # Summed by place (vertical, country and region as the leads write them) first: thousands of
    # groups, a few dozen places; each place then adds to the proposals whose segment holds it.
    # Each judged lead counts its verdict's themes once; each lead its bad reasons once per item.
    places = defaultdict(_place)
    for industry_id, country, region, themes, reasons, leads, judged, good, bad in figures:
        place = places[(industry_id, country, region)]
        place["leads"] += leads
        place["judged"] += judged
        place["good"] += good
        place["bad"] += bad
        place["themes"][themes] += judged
        place["reasons"][reasons] += leads
    for place in places.values():
        place["themes"], place["reasons"] = ids_counted(place["themes"]), ids_counted(place["reasons"])
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
                for key in ("leads", "judged", "good", "bad"):
                    p.evidence[key] += place[key]
                p.evidence["pain_themes"].update(coded(place["themes"], theme_codes))
                p.evidence["top_bad_reasons"].update(coded(place["reasons"], reason_codes))
    for p in proposals:
        p.evidence["top_bad_reasons"] = top_counts(p.evidence["top_bad_reasons"])
        p.evidence["pain_themes"] = top_counts(p.evidence["pain_themes"])
    _attach_requests_and_campaigns(proposals, verticals=verticals, countries=countries)
    return proposals


def _place() -> dict:
    """A place's figures as its groups add to them; its themes and reasons by the text carried."""
    return {"leads": 0, "judged": 0, "good": 0, "bad": 0, "themes": Counter(), "reasons": Counter()}


def _rows(sql, params) -> list[tuple]:
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
