"""Capture: a lead comes in by the browser form, an import, the API or a public web form, and is
identified by its normalised email — a second capture of the same person records a touch on the
lead that is already there instead of a second lead. Marketing's data fixes go through here too.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from alignment.caching import vertical_map, vertical_map_forget, webhook_endpoints_active_cached
from alignment.countries import country_code
from alignment.errors import InvalidInput
from alignment.models import User, Vertical
from alignment.webhooks.outbox import webhook_subscribers
from leads.capture_sql import (
    Either,
    insert_per_row,
    insert_statement,
    prepared_cursor,
    records_insert,
    with_statement,
)
from leads.capture_upsert import (
    CONTACT_FIELDS,
    UPSERT_NAMES,
    known_relations,
    lead_from_row,
    leads_upsert,
    upsert_rows,
    upsert_sql,
)
from leads.lifecycle import lead_action_require
from leads.models import Campaign, CaptureChannel, EventKind, Lead, LeadAlias, LeadEvent, LeadStatus, Source, Touch
from leads.models.score import LeadScore
from leads.rollup import lead_day_rows, lead_days_apply_statements
from leads.scores import leads_scores_refresh
from leads.selectors import lead_possible_duplicates_statement, possible_duplicates_from_rows
from leads.services import lead_event_record, lead_lock
from leads.theme_rollup import theme_day_rows, theme_days_apply
from leads.webhooks import lead_events_emit_loaded

EMAIL_MAX = Lead._meta.get_field("email").max_length
LIMITS = {f.name: f.max_length for f in Lead._meta.fields if f.name in CONTACT_FIELDS}


def lead_normalise_email(email) -> str:
    return str(email or "").strip().lower()


def _clean_capture_data(data) -> dict:
    """Validate and normalise contact fields; raise InvalidInput with every field's problem.
    `industry` comes back as a Vertical, None, or the name of one (found or made in bulk later)."""
    errors, clean = {}, {}
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
    for name in CONTACT_FIELDS:
        if name == "country":
            continue  # a name or a code, stored as the code: below
        value = data.get(name)
        value = "" if value is None else str(value).strip()
        if LIMITS.get(name) and len(value) > LIMITS[name]:
            errors[name] = [f"At most {LIMITS[name]} characters."]
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
            clean["industry"] = name  # the vertical of that name: `_verticals_for_names`
    if errors:
        # Every problem of the row in the message, not only the first: an import's error report and
        # its failed-rows file show this message, and a row is fixed once, not once per problem.
        message = "; ".join(f"{name}: {text}" for name, texts in errors.items() for text in texts)
        raise InvalidInput(message, fields=errors)
    return clean


def lead_capture(
    *, data, campaign: Campaign, by: User | None, channel=CaptureChannel.FORM, find_duplicates: bool = False
):
    """Capture a lead, or record a touch on the lead that already has this email.

    Returns `(lead, created)`; raises InvalidInput for bad data. One capture is a batch of one
    (`lead_capture_many`), so a lead typed into the form, imported or sent in bulk means the same.
    With `find_duplicates`, a new lead comes back with `possible_duplicates`: other leads with its name
    and company (`leads.selectors.lead_possible_duplicates`), read in the capture's own statement.

    On PostgreSQL it is one statement (`_capture_in_one_statement`), in autocommit unless a
    transaction is open already; a capture that has to write something first (a vertical named for
    the first time, the webhooks' outbox) or that lands on a lead merged away goes the general way.
    """
    if connection.vendor == "postgresql":
        result = _capture_in_one_statement(
            data=data, campaign=campaign, by=by, channel=channel, find_duplicates=find_duplicates
        )
        if result is not None:
            return result
    [result] = lead_capture_many(items=[(data, campaign)], by=by, channel=channel, find_duplicates=find_duplicates)
    if isinstance(result, InvalidInput):
        raise result
    return result


@transaction.atomic
def lead_capture_many(*, items, by: User | None, channel=CaptureChannel.FORM, find_duplicates: bool = False) -> list:
    """Capture `(data, campaign)` items in a few statements however many there are: one upsert of
    the leads, one statement for the roll-up, the new leads' score rows, the touches and the
    timeline events (one each on SQLite), and the webhooks' outbox when an endpoint listens.

    Returns, per item, `(lead, created)` or the InvalidInput that says what is wrong with it (a bad
    item never stops the others). A second capture of an email — in the database already, or earlier
    in `items` — counts a touch on that lead and fills in what it did not know, overwriting nothing.
    The unique email is the guard against concurrent captures: the upsert that loses the race
    updates the winner's row.
    """
    if by is not None:
        lead_action_require(lead=None, user=by, action="capture")
    now = timezone.now()
    results: list = [None] * len(items)
    cleaned = []
    for index, (data, campaign) in enumerate(items):
        try:
            cleaned.append((index, _clean_capture_data(data), campaign))
        except InvalidInput as error:
            results[index] = error
    verticals = _verticals_for_names(clean["industry"] for _, clean, _ in cleaned if isinstance(clean["industry"], str))
    for _, clean, _ in cleaned:
        if isinstance(clean["industry"], str):
            clean["industry"] = verticals[clean["industry"].lower()]
    # Every capture of one email in this batch goes to one row of the upsert (a row may be written
    # once a statement): the first capture's values, then what later ones add to its blanks.
    people = _captures_by_person(cleaned)
    leads = leads_upsert(people, by=by, now=now)
    merged_away = [email for email in people if email not in leads]
    if merged_away:
        leads.update(_aliases_upsert(people, merged_away, by=by, now=now))

    touches, events, created_leads = [], [], []
    by_id = by.pk if by is not None else None
    for email, captures in people.items():
        lead, created = leads[email]
        for position, (index, _, campaign) in enumerate(captures):
            first = created and position == 0
            results[index] = (lead, first)
            touches.append((lead.pk, *_touch_row(campaign, channel, by_id, now)))
            events.append((lead.pk, *_event_row(first, campaign, channel, by_id, now)))
        if created:
            created_leads.append(lead)
    rows = {}
    for lead in created_leads:
        for key, columns in lead_day_rows(lead).items():
            for column, amount in columns.items():
                rows.setdefault(key, {})[column] = rows.get(key, {}).get(column, 0) + amount
    duplicates = None
    if find_duplicates and len(created_leads) == 1:
        new = created_leads[0]
        duplicates = lead_possible_duplicates_statement(name=new.name, company=new.company, email=new.email, user=by)
    scores = [insert_statement(LeadScore, ("lead",), [(x.pk,) for x in created_leads])] if created_leads else []
    found = records_insert(
        [*lead_days_apply_statements(before={}, after=rows), *scores],
        (Touch, TOUCH_COLUMNS, touches),
        (LeadEvent, EVENT_COLUMNS, events),
        tail=duplicates,
    )
    if find_duplicates:
        for lead in created_leads:
            lead.possible_duplicates = possible_duplicates_from_rows(found or [])
    lead_events_emit_loaded(event_type="lead.captured", leads=created_leads, by=by, channel=str(channel))
    leads_scores_refresh(lead_ids=(lead.pk for lead, _ in leads.values()))
    return results


def lead_capture_rows(*, items, by: User | None, channel) -> list:
    """`lead_capture_many` for rows from outside (an import, a bulk request), where a row may hold
    a value the database refuses although it passed validation (a NUL character, say): the batch
    goes in one savepoint, and if the database refuses it, each row in its own, so only that row
    fails. A refused row's result is its DatabaseError."""
    try:
        with transaction.atomic():
            return lead_capture_many(items=items, by=by, channel=channel)
    except DatabaseError:
        if len(items) == 1:
            raise
    results = []
    for item in items:
        try:
            with transaction.atomic():
                results += lead_capture_many(items=[item], by=by, channel=channel)
        except DatabaseError as error:
            results.append(error)
    return results


TOUCH_COLUMNS = ("lead_id", "campaign_id", "channel", "by_id", "at")
EVENT_COLUMNS = ("lead_id", "kind", "from_status", "to_status", "actor_id", "note", "at")


def _touch_row(campaign, channel, by_id, now) -> tuple:
    """A capture's touch: TOUCH_COLUMNS but the lead."""
    return (campaign.pk, str(channel), by_id, now)


def _event_row(first: bool, campaign, channel, by_id, now) -> tuple:
    """A capture's timeline event, `first` for the capture that created the lead: EVENT_COLUMNS but
    the lead."""
    if first:
        note = f"Captured via {channel.label} ({campaign.name})."
        return (str(EventKind.CAPTURED), "", str(LeadStatus.NEW), by_id, note, now)
    note = f"Captured again via {channel.label} ({campaign.name})."
    return (str(EventKind.TOUCH), "", "", by_id, note, now)


def _capture_in_one_statement(*, data, campaign, by, channel, find_duplicates):
    """`lead_capture` on PostgreSQL as one statement, `lead_capture_many`'s for one item: the lead's
    upsert, and from what it returns the roll-up and the score row (a new lead only), the touch and
    the timeline event, as data-modifying WITH steps; a known lead's score and a new lead's possible
    duplicates in its result.
    One round trip, atomic by itself. None, before anything is written, when the capture must go
    the general way: an endpoint listens to `lead.captured` (the outbox rows need the lead's id),
    or the industry names no vertical yet; None too when the email is a merged-away lead's, which
    the upsert leaves alone (nothing else is written then either)."""
    if webhook_subscribers("lead.captured", endpoints=webhook_endpoints_active_cached()):
        return None
    if by is not None:
        lead_action_require(lead=None, user=by, action="capture")
    clean = _clean_capture_data(data)
    if isinstance(clean["industry"], str):
        clean["industry"] = vertical_map().get(clean["industry"].lower())
        if clean["industry"] is None:
            return None
    now = timezone.now()
    people = {clean["email"]: [(0, clean, campaign)]}
    rows, first_captures = upsert_rows(people, by=by, now=now)
    insert, params = insert_statement(Lead, UPSERT_NAMES, rows)
    # The lead as this capture creates it, if it does: what it adds to the roll-up.
    new = Lead.from_db(connection.alias, None, [None, *rows[0]])
    by_id = by.pk if by is not None else None
    first, again = _event_row(True, campaign, channel, by_id, now), _event_row(False, campaign, channel, by_id, now)
    per_lead = {"source": "captured", "id_column": "captured.id", "created_column": "captured.created"}
    steps = [
        ("captured", upsert_sql(insert, postgres=True), params),
        *lead_days_apply_statements(before={}, after=lead_day_rows(new), when="(SELECT created FROM captured)"),
        (f"INSERT INTO {LeadScore._meta.db_table} (lead_id) SELECT id FROM captured WHERE created", []),
        insert_per_row(Touch, TOUCH_COLUMNS, _touch_row(campaign, channel, by_id, now), **per_lead),
        insert_per_row(LeadEvent, EVENT_COLUMNS, [Either(a, b) for a, b in zip(first, again, strict=True)], **per_lead),
    ]
    scored = f"LEFT JOIN {LeadScore._meta.db_table} AS s ON s.lead_id = captured.id"
    last = (f"SELECT captured.*, s.score FROM captured {scored}", [])
    duplicates = find_duplicates and lead_possible_duplicates_statement(
        name=new.name, company=new.company, email=new.email, user=by
    )
    if duplicates:  # for a new lead only (the statement's snapshot never holds the new lead)
        sql, duplicate_params = duplicates
        sql = f"LEFT JOIN LATERAL (SELECT * FROM ({sql}) AS d WHERE captured.created) AS d ON true"
        last = (f"SELECT captured.*, s.score, d.* FROM captured {scored} {sql}", duplicate_params)
    with prepared_cursor() as cursor:
        cursor.execute(*with_statement(steps, last))
        found = cursor.fetchall()
    if not found:
        return None
    width = len(UPSERT_NAMES) + 2  # the id, the email, whether created, a known lead's columns
    lead, created = lead_from_row(found[0][:width], postgres=True, sent={new.email: rows[0]}, existing=None)
    known_relations(lead, created, first_captures)
    lead.scored = LeadScore(lead=lead, score=found[0][width])  # null for a new lead
    if find_duplicates and created:
        others = [row[width + 1 :] for row in found if duplicates and row[width + 1] is not None]
        lead.possible_duplicates = possible_duplicates_from_rows(others)
    leads_scores_refresh(lead_ids=[lead.pk])
    return lead, created


def _aliases_upsert(people, emails, *, by, now) -> dict[str, tuple[Lead, bool]]:
    """The captures of emails that belong to a lead merged away (the upsert leaves such a lead
    alone): they touch the lead it was merged into, which holds the email as an alias."""
    survivors = dict(LeadAlias.objects.filter(email__in=emails).values_list("email", "lead__email"))
    again = {}
    for email in emails:
        survivor = survivors[email]
        again.setdefault(survivor, []).extend((i, {**clean, "email": survivor}, c) for i, clean, c in people[email])
    found = leads_upsert(again, by=by, now=now)
    return {email: found[survivors[email]] for email in emails}


def _captures_by_person(cleaned) -> dict[str, list]:
    """Dedupe: the captures of one person, keyed by the normalised email that identifies a lead,
    in the order they came."""
    people: dict[str, list] = {}
    for index, clean, campaign in cleaned:
        people.setdefault(clean["email"], []).append((index, clean, campaign))
    return people


@transaction.atomic
def lead_update(*, lead: Lead, data: dict, by: User) -> Lead:
    """Marketing fixes a lead's contact data; the timeline says what changed. A new vertical,
    country or region moves the lead's pain themes in voice of sales' roll-up."""
    lead_action_require(lead=lead, user=by, action="edit")
    lead = lead_lock(lead)
    current = {name: getattr(lead, name) for name in CONTACT_FIELDS}
    current.update(email=lead.email, estimated_value=lead.estimated_value, industry=lead.industry)
    clean = _clean_capture_data({**current, **data})
    clean.pop("source")  # where a lead came from is not contact data to fix
    if isinstance(clean["industry"], str):
        clean["industry"] = _verticals_for_names([clean["industry"]])[clean["industry"].lower()]
    changed = [name for name, value in clean.items() if getattr(lead, name) != value]
    if not changed:
        return lead
    if "email" in changed and Lead.objects.filter(email=clean["email"]).exclude(pk=lead.pk).exists():
        raise InvalidInput("Another lead already has this email.", fields={"email": ["Already captured."]})
    themes_before = theme_day_rows(lead)
    for name in changed:
        setattr(lead, name, clean[name])
    lead.save(update_fields=[*changed, "updated_at"])
    theme_days_apply(before=themes_before, after=theme_day_rows(lead))  # a new segment moves its themes
    leads_scores_refresh(lead_ids=[lead.pk])
    lead_event_record(
        lead, EventKind.EDIT, by=by, note="Changed " + ", ".join(n.replace("_", " ") for n in changed) + "."
    )
    return lead


def _verticals_for_names(names) -> dict[str, Vertical]:
    """The vertical each industry name means (case-insensitively), keyed by lower-cased name;
    names no vertical has yet become new verticals. A cached map of every vertical (they are few)
    spares the lookup; it is dropped whenever a vertical changes."""
    wanted = {name.lower(): name for name in reversed(list(names))}  # the first spelling wins
    if not wanted:
        return {}
    known = vertical_map()
    missing = [name for lower, name in wanted.items() if lower not in known]
    if missing:
        Vertical.objects.bulk_create([Vertical(name=name) for name in missing], ignore_conflicts=True)
        vertical_map_forget()
        known = vertical_map()
    return {lower: known[lower] for lower in wanted}
