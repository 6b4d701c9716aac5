"""Capture: a lead comes in by the browser form, an import, the API or a public web form, and is
identified by its normalised email — a second capture of the same person records a touch on the
lead that is already there instead of a second lead. Marketing's data fixes go through here too.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from alignment.countries import country_code
from alignment.errors import InvalidInput
from alignment.models import Role, User, Vertical
from leads.events import lead_event_emit
from leads.models import Campaign, CaptureChannel, EventKind, Lead, LeadAlias, LeadStatus, Source, Touch
from leads.rollup import lead_day_rows, lead_days_apply
from leads.services import lead_action_refuse, lead_event_record, lead_lock

EMAIL_MAX = Lead._meta.get_field("email").max_length
CONTACT_FIELDS = ("name", "company", "title", "phone", "country", "region", "notes", "pain_points")


def lead_normalise_email(email) -> str:
    return str(email or "").strip().lower()


def _clean_capture_data(data) -> dict:
    """Validate and normalise contact fields; raise InvalidInput with every field's problem."""
    errors = {}
    clean = {}
    email = lead_normalise_email(data.get("email"))
    if not email:
        errors["email"] = ["An email address is required."]
    elif len(email) > EMAIL_MAX:
        # Longer than any deliverable address (RFC 5321), and than the column that holds it.
        errors["email"] = [f"At most {EMAIL_MAX} characters."]
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Enter a valid email address."]
    clean["email"] = email
    limits = {f.name: f.max_length for f in Lead._meta.fields if f.name in CONTACT_FIELDS}
    for name in CONTACT_FIELDS:
        if name == "country":
            continue  # a name or a code, stored as the code: below
        value = data.get(name)
        value = "" if value is None else str(value).strip()
        if limits.get(name) and len(value) > limits[name]:
            errors[name] = [f"At most {limits[name]} characters."]
        clean[name] = value
    source = str(data.get("source") or "").strip().lower()
    if source and source not in Source.values:
        errors["source"] = [f"Unknown source “{source[:50]}”: use one of {', '.join(Source.values)}."]
    # Empty: the campaign's own source.
    clean["source"] = source
    try:
        clean["country"] = country_code(data.get("country"))
    except ValueError as error:
        errors["country"] = [str(error)]
    value = data.get("estimated_value")
    if value in (None, ""):
        clean["estimated_value"] = None
    else:
        try:
            amount = Decimal(str(value).strip())
            if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
                raise InvalidOperation
            clean["estimated_value"] = amount.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors["estimated_value"] = ["Enter a positive amount."]
    industry = data.get("industry")
    if isinstance(industry, Vertical) or industry in (None, ""):
        clean["industry"] = industry or None
    else:
        name = str(industry).strip()
        if len(name) > 100:
            errors["industry"] = ["At most 100 characters."]
        else:
            clean["industry"] = Vertical.objects.filter(name__iexact=name).first() or Vertical(name=name)
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInput(f"{first[0]}: {first[1][0]}", fields=errors)
    return clean


@transaction.atomic
def lead_capture(*, data, campaign: Campaign, by: User | None, channel=CaptureChannel.FORM):
    """Capture a lead, or record a touch on the lead that already has this email.

    Returns `(lead, created)`. The unique email is the guard against concurrent captures of one
    person: the loser of the race finds the winner's row and records a touch on it.
    """
    if by is not None:
        lead_action_refuse(lead=None, user=by, action="capture")
    clean = _clean_capture_data(data)
    # A capture may say where this lead came from; otherwise it came from the campaign's source.
    # A known lead keeps the source it was first captured from.
    source = clean.pop("source") or campaign.source
    industry = clean.pop("industry", None)
    if industry is not None and industry.pk is None:
        industry, _ = Vertical.objects.get_or_create(name=industry.name)
    now = timezone.now()
    try:
        with transaction.atomic():
            lead = Lead.objects.create(
                **clean,
                industry=industry,
                campaign=campaign,
                source=source,
                captured_by=by if by is not None and by.role == Role.MARKETER else campaign.owner,
                captured_at=now,
                last_touch_at=now,
                last_activity_at=now,
            )
    except IntegrityError:
        # The email may be an alias: the lead merged away still holds it, the alias names its survivor.
        alias = LeadAlias.objects.filter(email=clean["email"]).values_list("lead_id", flat=True).first()
        found = Q(pk=alias) if alias is not None else Q(email=clean["email"])
        lead = Lead.objects.select_for_update().filter(found).first()
        if lead is None:  # not the email that clashed: let it surface
            raise
        return _lead_touch(lead=lead, clean=clean, industry=industry, campaign=campaign, by=by, channel=channel), False
    lead_days_apply(before={}, after=lead_day_rows(lead))
    Touch.objects.create(lead=lead, campaign=campaign, channel=channel, by=by, at=now)
    lead_event_record(
        lead,
        EventKind.CAPTURED,
        by=by,
        to_status=LeadStatus.NEW,
        note=f"Captured via {channel.label} ({campaign.name}).",
    )
    lead_event_emit(event_type="lead.captured", lead=lead, by=by, channel=str(channel))
    return lead, True


def _lead_touch(*, lead, clean, industry, campaign, by, channel) -> Lead:
    """Another capture of a known person: count it, fill in what we did not know, overwrite nothing."""
    now = timezone.now()
    lead.touch_count = F("touch_count") + 1
    lead.last_touch_at = now
    changed = ["touch_count", "last_touch_at", "updated_at"]
    for name, value in clean.items():
        if name != "email" and value not in ("", None) and getattr(lead, name) in ("", None):
            setattr(lead, name, value)
            changed.append(name)
    if industry is not None and lead.industry_id is None:
        lead.industry = industry
        changed.append("industry")
    lead.save(update_fields=changed)
    lead.refresh_from_db(fields=["touch_count"])
    Touch.objects.create(lead=lead, campaign=campaign, channel=channel, by=by, at=now)
    lead_event_record(lead, EventKind.TOUCH, by=by, note=f"Captured again via {channel.label} ({campaign.name}).")
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, data: dict, by: User) -> Lead:
    """Marketing fixes a lead's contact data; the timeline says what changed."""
    lead_action_refuse(lead=lead, user=by, action="edit")
    lead = lead_lock(lead)
    current = {name: getattr(lead, name) for name in CONTACT_FIELDS}
    current.update(email=lead.email, estimated_value=lead.estimated_value, industry=lead.industry)
    clean = _clean_capture_data({**current, **data})
    clean.pop("source")  # where a lead came from is not contact data to fix
    industry = clean.pop("industry", None)
    if industry is not None and industry.pk is None:
        industry, _ = Vertical.objects.get_or_create(name=industry.name)
    clean["industry"] = industry
    changed = [name for name, value in clean.items() if getattr(lead, name) != value]
    if not changed:
        return lead
    if "email" in changed and Lead.objects.filter(email=clean["email"]).exclude(pk=lead.pk).exists():
        raise InvalidInput("Another lead already has this email.", fields={"email": ["Already captured."]})
    for name in changed:
        setattr(lead, name, clean[name])
    lead.save(update_fields=[*changed, "updated_at"])
    lead_event_record(
        lead, EventKind.EDIT, by=by, note="Changed " + ", ".join(n.replace("_", " ") for n in changed) + "."
    )
    return lead
