"""Campaigns made in the product: by marketing from scratch, as a request's delivery, or as a
mini-campaign launched from the plan for one rep's segment.

A campaign made for a segment records it (`CampaignSegment`), so the plan knows the segment is
served. Made for a rep (a mini-campaign) or for a request (its delivery), its leads in that
segment go to that rep by a routing rule of their own, tried before the usual rules, while the
rep is available; otherwise the usual rules apply.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment.days import company_today, date_text
from alignment.errors import InvalidInput, NotAllowed
from alignment.models import Role, User, Vertical
from leads.models import Campaign, RoutingRule, Source
from planning.evidence import territory_parse
from planning.models import CampaignRequest, CampaignSegment
from planning.services import DELIVERY_RULE_PRIORITY, campaign_request_deliver


def _vertical(value, errors) -> Vertical | None:
    if isinstance(value, Vertical) or value in (None, ""):
        return value or None
    text = str(value).strip()
    row = Vertical.objects.filter(**({"pk": int(text)} if text.isdigit() else {"name__iexact": text})).first()
    if row is None:
        errors["vertical"] = ["Unknown vertical."]
    return row


def _clean(*, name, source, vertical, territory, errors) -> dict:
    name = (name or "").strip()
    if not name:
        errors["name"] = ["This field is required."]
    elif len(name) > 200:
        errors["name"] = ["At most 200 characters."]
    elif Campaign.objects.filter(name__iexact=name).exists():
        errors["name"] = ["A campaign with this name exists already."]
    source = (source or "").strip()
    if source not in Source.values:
        errors["source"] = [f"One of {', '.join(Source.values)}."]
    country = region = ""
    if str(territory or "").strip():
        try:
            country, region = territory_parse(territory)
        except ValueError as error:
            errors["territory"] = [str(error)]
    return {
        "name": name,
        "source": source,
        "vertical": _vertical(vertical, errors),
        "country": country,
        "region": region,
    }


def mini_campaign_rule_create(*, campaign: Campaign, segment: CampaignSegment, rep: User) -> RoutingRule:
    rule = RoutingRule.objects.create(
        name=f"Mini-campaign: {campaign.name}"[:100],
        priority=DELIVERY_RULE_PRIORITY,
        country=segment.country,
        region=segment.region,
        vertical=segment.vertical,
        campaign=campaign,
    )
    rule.reps.set([rep])
    return rule


@transaction.atomic
def campaign_create(
    *,
    by: User,
    name: str,
    source: str,
    vertical=None,
    territory: str = "",
    request: CampaignRequest | None = None,
    rep: User | None = None,
) -> Campaign:
    """Marketing makes a campaign (with its public form key). With `request` (one in progress)
    the campaign delivers it, for the request's segment unless another is given; with `rep` its
    leads in the segment go to that rep."""
    if by.role not in (Role.MARKETER, Role.MANAGER):
        raise NotAllowed("Only marketing or a manager makes campaigns.")
    errors: dict[str, list[str]] = {}
    cleaned = _clean(name=name, source=source, vertical=vertical, territory=territory, errors=errors)
    if request is not None and not cleaned["vertical"] and not cleaned["country"]:
        cleaned.update(vertical=request.vertical, country=request.country, region=request.region)
    if rep is not None and not (cleaned["vertical"] or cleaned["country"]):
        errors.setdefault("territory", ["A mini-campaign for a rep needs its segment."])
    if errors:
        raise InvalidInput("Some fields need a look.", fields=errors)
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(name=cleaned["name"], source=cleaned["source"], owner=by)
    except IntegrityError:
        raise InvalidInput(
            "Choose another name.", fields={"name": ["A campaign with this name exists already."]}
        ) from None
    segment = None
    if cleaned["vertical"] or cleaned["country"] or request is not None or rep is not None:
        segment = CampaignSegment.objects.create(
            campaign=campaign,
            vertical=cleaned["vertical"],
            country=cleaned["country"],
            region=cleaned["region"],
            rep=rep or (request.requester if request is not None else None),
            request=request,
            created_by=by,
            created_at=timezone.now(),
        )
    if rep is not None:
        mini_campaign_rule_create(campaign=campaign, segment=segment, rep=rep)
    if request is not None:
        campaign_request_deliver(request=request, by=by, campaign=campaign)
    return campaign


def _mini_campaign_name(*, vertical, territory: str, rep: User) -> str:
    name = f"{vertical.name} {territory} · {rep.display_name}"[:180]
    if Campaign.objects.filter(name__iexact=name).exists():
        name = f"{name} ({date_text(company_today())})"
    return name


@transaction.atomic
def mini_campaigns_launch(*, by: User, keys: list[str]) -> list[tuple[str, Campaign | None, str]]:
    """Launch the plan's proposals named by `keys` ("rep:vertical:territory"): each becomes a
    campaign for that segment whose leads there go to that rep. One that cannot be launched (the
    rep no longer covers it, the name is taken) is reported and the others still launch.
    Returns `(key, campaign or None, message)` per key."""
    if by.role not in (Role.MARKETER, Role.MANAGER):
        raise NotAllowed("Only marketing or a manager launches campaigns.")
    results = []
    for key in dict.fromkeys(keys):
        rep_id, _, rest = str(key).partition(":")
        vertical_id, _, territory = rest.partition(":")
        rep = User.objects.filter(pk=rep_id, role=Role.REP, is_active=True).first() if rep_id.isdigit() else None
        vertical = rep.verticals.filter(pk=vertical_id).first() if rep and vertical_id.isdigit() else None
        covered = rep is not None and any(str(t) == territory for t in rep.territories.all())
        if vertical is None or not covered:
            results.append((key, None, "That rep no longer covers this segment."))
            continue
        try:
            with transaction.atomic():
                campaign = campaign_create(
                    by=by,
                    name=_mini_campaign_name(vertical=vertical, territory=territory, rep=rep),
                    source=Source.WEB,
                    vertical=vertical,
                    territory=territory,
                    rep=rep,
                )
        except InvalidInput as error:
            results.append((key, None, "; ".join(m for ms in error.fields.values() for m in ms) or error.message))
        else:
            results.append((key, campaign, f"Launched {campaign.name}."))
    return results
