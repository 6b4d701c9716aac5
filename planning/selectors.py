"""Reads of campaign requests, scoped to who may see them: a rep their own, marketing and managers
all of them. Pages and the API read through here, so they cannot disagree."""

from django.db.models import QuerySet

from alignment.errors import NotFound
from alignment.models import Role, User
from planning.evidence import request_outcome, segment_evidence, territory_parse
from planning.models import CampaignRequest, RequestStatus

REQUEST_FILTERS = ("status", "vertical", "territory", "requester")


def campaign_request_visible(*, user: User) -> QuerySet[CampaignRequest]:
    qs = CampaignRequest.objects.select_related("requester", "vertical", "campaign").prefetch_related("pain_themes")
    if user.role in (Role.MARKETER, Role.MANAGER):
        return qs
    if user.role == Role.REP:
        return qs.filter(requester=user)
    return qs.none()


def campaign_request_list_for_user(*, user: User, filters: dict | None = None) -> QuerySet[CampaignRequest]:
    """The requests `user` may see. Filters: status, vertical (id), territory (`DE` takes the whole
    country, `DE/Bavaria` that region only), requester (id). A filter that does not parse matches
    nothing rather than everything."""
    filters = filters or {}
    qs = campaign_request_visible(user=user)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"]) if filters["status"] in RequestStatus.values else qs.none()
    if filters.get("vertical"):
        qs = qs.filter(vertical_id=filters["vertical"]) if str(filters["vertical"]).isdigit() else qs.none()
    if filters.get("territory"):
        try:
            country, region = territory_parse(filters["territory"])
        except ValueError:
            return qs.none()
        qs = qs.filter(country=country)
        if region:
            qs = qs.filter(region__iexact=region)
    if filters.get("requester"):
        qs = qs.filter(requester_id=filters["requester"]) if str(filters["requester"]).isdigit() else qs.none()
    return qs


def campaign_request_get_for_user(*, user: User, pk) -> CampaignRequest:
    """One request `user` may see; NotFound for one they may not."""
    request = campaign_request_visible(user=user).filter(pk=pk).first()
    if request is None:
        raise NotFound("No such campaign request.")
    return request


def campaign_request_with_live_figures(request: CampaignRequest) -> CampaignRequest:
    """The request with its figures as they stand now (not saved): the evidence while it is open,
    the outcome once delivered. Lists show the stored ones, which the beat keeps current."""
    if request.status in (RequestStatus.NEW, RequestStatus.ACCEPTED, RequestStatus.IN_PROGRESS):
        request.evidence = segment_evidence(
            vertical_id=request.vertical_id, country=request.country, region=request.region
        )
    if request.status == RequestStatus.DELIVERED:
        request.outcome = request_outcome(request=request)
    return request


def campaign_request_untriaged_count() -> int:
    return CampaignRequest.objects.filter(status=RequestStatus.NEW).count()


def campaign_requests_delivered_by_campaign(campaign_ids) -> dict[int, list[dict]]:
    """For the scorecard: the delivered requests each campaign answers, with their stored outcome
    (kept current by the beat). One query."""
    found: dict[int, list[dict]] = {}
    rows = (
        CampaignRequest.objects.filter(status=RequestStatus.DELIVERED, campaign_id__in=list(campaign_ids))
        .select_related("vertical")
        .order_by("campaign_id", "delivered_at", "id")
    )
    for request in rows:
        found.setdefault(request.campaign_id, []).append(
            {
                "id": request.pk,
                "title": request.title,
                "segment": request.segment,
                "outcome": request.outcome,
                "good_percent": _percent((request.outcome or {}).get("good_share")),
                "baseline_percent": _percent((request.outcome or {}).get("baseline_good_share")),
            }
        )
    return found


def _percent(share) -> str:
    return "—" if share is None else f"{round(share * 100)}%"
