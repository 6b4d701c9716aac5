"""The plan: one proposed mini-campaign for each active rep × each (vertical, territory) they cover.

Each proposal carries its segment's last twelve months as its brief (leads, judged, good, bad, top
bad reasons, top pain themes), the rep's open requests for that segment, and the live campaign
that already serves it, if any. The figures come from grouped SQL over every segment at once —
a fixed number of queries however many reps and segments there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from alignment.models import Role, User
from feedback.models import BAD_REASON_KINDS, FeedbackItem, PainTheme
from leads.models import Lead
from planning.evidence import EVIDENCE_DAYS, TOP, segment_counts
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


def _top(counter: dict) -> list[dict]:
    rows = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [{"code": code, "count": count} for code, count in rows]


def plan_for(*, now=None) -> list[Proposal]:
    """Every active rep's segments, with their briefs. Nine queries: the reps, their territories
    and verticals; the segments' lead figures with their current verdicts' pain themes (which
    each lead carries), and bad reasons, grouped; the themes' codes; the open requests; the live
    campaigns made for segments and the delivered requests' campaigns."""
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
    # The leads' figures and their current verdicts' themes (which each lead carries), in one pass.
    figures = list(
        Lead.objects.filter(scope)
        .values("industry_id", "country", "region", "verdict_themes")
        .annotate(**segment_counts())
        .order_by()
    )
    lead_scope = Q(
        lead__industry_id__in=verticals,
        lead__country__in=countries,
        lead__merged_into__isnull=True,
        lead__captured_at__gte=since,
    )
    reasons = (
        FeedbackItem.objects.filter(lead_scope, kind__in=BAD_REASON_KINDS, reason__isnull=False)
        .values("lead__industry_id", "lead__country", "lead__region", "reason__code")
        .annotate(n=Count("*"))
        .order_by()
    )
    theme_ids = {int(pk) for row in figures for pk in filter(None, row["verdict_themes"].split(","))}
    codes = dict(PainTheme.objects.filter(pk__in=theme_ids).values_list("pk", "code")) if theme_ids else {}
    by_segment = defaultdict(list)
    for p in proposals:
        by_segment[(p.vertical.pk, p.country)].append(p)
    for p in proposals:
        p.evidence = {"leads": 0, "judged": 0, "good": 0, "bad": 0, "top_bad_reasons": {}, "pain_themes": {}}
    for row in figures:
        themed = [codes[int(pk)] for pk in filter(None, row["verdict_themes"].split(",")) if int(pk) in codes]
        for p in by_segment[(row["industry_id"], row["country"])]:
            if _matches(p.region, row["region"]):
                for key in ("leads", "judged", "good", "bad"):
                    p.evidence[key] += row[key]
                counts = p.evidence["pain_themes"]
                for code in themed:
                    counts[code] = counts.get(code, 0) + row["judged"]
    for row in reasons:
        for p in by_segment[(row["lead__industry_id"], row["lead__country"])]:
            if _matches(p.region, row["lead__region"]):
                counts = p.evidence["top_bad_reasons"]
                counts[row["reason__code"]] = counts.get(row["reason__code"], 0) + row["n"]
    for p in proposals:
        p.evidence["top_bad_reasons"] = _top(p.evidence["top_bad_reasons"])
        p.evidence["pain_themes"] = _top(p.evidence["pain_themes"])
    _attach_requests_and_campaigns(proposals, verticals=verticals, countries=countries)
    return proposals


def _segment_key(vertical_id, country, region):
    return (vertical_id, country, (region or "").lower())


def _attach_requests_and_campaigns(proposals, *, verticals, countries):
    index = {(p.rep.pk, *_segment_key(p.vertical.pk, p.country, p.region)): p for p in proposals}
    segments = defaultdict(list)
    for p in proposals:
        segments[_segment_key(p.vertical.pk, p.country, p.region)].append(p)
    requests = CampaignRequest.objects.filter(
        status__in=OPEN_REQUEST_STATUSES,
        requester_id__in={p.rep.pk for p in proposals},
        vertical_id__in=verticals,
        country__in=countries,
    ).order_by("created_at")
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
