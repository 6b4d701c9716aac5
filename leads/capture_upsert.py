"""The upsert that captures leads (leads.capture): a new email inserts its lead, a known one
counts the touches and fills in what the lead did not know, in one statement for a whole batch.

A known lead whose current verdict names pain themes is moved in voice of sales' roll-up when
the capture fills in its blank vertical, country or region (`leads.theme_rollup`): the upsert
leaves such a lead alone, and `leads_upsert` captures it again under a lock, with its rows in the
roll-up before and after. Every other capture is the one statement.
"""

import functools
from collections import Counter

from django.db import connection
from django.db.models import signals
from django.db.models.base import ModelState

from alignment.models import Role
from leads.capture_sql import converted, insert_statement, prepared_cursor
from leads.models import Lead, LeadScore
from leads.theme_rollup import theme_day_rows, theme_days_apply

CONTACT_FIELDS = ("name", "company", "title", "phone", "country", "region", "notes", "pain_points")

# What a later capture may fill in on a known lead: a blank contact field, a missing value or industry.
FILLED_IF_BLANK = CONTACT_FIELDS
FILLED_IF_NULL = ("estimated_value", "industry_id")


# Leads a statement on SQLite (× 36 parameters, under its 32,766); PostgreSQL takes a column an
# array parameter, so any number in one.
UPSERT_BATCH = 500


UPSERT_FIELDS = Lead._meta.concrete_fields
UPSERT_NAMES = [field.attname for field in UPSERT_FIELDS if not field.primary_key]
UPSERT_POSITION = {name: n for n, name in enumerate(UPSERT_NAMES)}


def leads_upsert(people: dict[str, list], *, by, now) -> dict[str, tuple[Lead, bool]]:
    """Insert the leads of these emails, or count the touches on the ones that exist; returns
    `{email: (lead as it is now, created)}`, without the leads merged away (the upsert leaves them
    alone). One statement, and for a judged lead whose segment the capture fills in (see
    `upsert_sql`) three more: the lock, its upsert, the roll-up."""
    leads = _upsert(people, by=by, now=now, fill_segments=False)
    missing = [email for email in people if email not in leads]
    if not missing:
        return leads
    judged = Lead.objects.select_for_update().filter(email__in=missing, merged_into__isnull=True)
    locked = list(judged.order_by("email"))
    if locked:
        before, after = Counter(), Counter()
        for lead in locked:
            before.update(theme_day_rows(lead))
        filled = _upsert({lead.email: people[lead.email] for lead in locked}, by=by, now=now, fill_segments=True)
        for lead, _ in filled.values():
            after.update(theme_day_rows(lead))
        theme_days_apply(before=before, after=after)
        leads.update(filled)
    return leads


def _upsert(people: dict[str, list], *, by, now, fill_segments: bool) -> dict[str, tuple[Lead, bool]]:
    """Insert the leads of these emails, or count the touches on the ones that exist, in one
    statement; returns `{email: (lead as it is now, created)}`. Rows go in email order, so two
    batches never wait for each other's rows in opposite orders."""
    if not people:
        return {}
    rows, first_captures = upsert_rows(people, by=by, now=now)
    # On PostgreSQL a row this statement inserted has no updater; SQLite writes one transaction at
    # a time, so which emails exist can be read first.
    postgres = connection.vendor == "postgresql"
    sent = {row[0]: row for row in rows} if postgres else None
    size = len(rows) if postgres else UPSERT_BATCH
    leads = {}
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        existing = None
        if not postgres:
            emails = [values[0] for values in batch]
            existing = set(Lead.objects.filter(email__in=emails).order_by().values_list("email", flat=True))
        insert, params = insert_statement(Lead, UPSERT_NAMES, batch)
        with prepared_cursor() if postgres else connection.cursor() as cursor:
            cursor.execute(upsert_sql(insert, postgres=postgres, fill_segments=fill_segments), params)
            found = cursor.fetchall()
        for values in converted(Lead, found):
            lead, created = lead_from_row(values, postgres=postgres, sent=sent, existing=existing)
            known_relations(lead, created, first_captures)
            leads[lead.email] = (lead, created)
    return leads


def upsert_rows(people: dict[str, list], *, by, now) -> tuple[list, dict]:
    """The upsert's rows (values of UPSERT_NAMES), in email order, and each email's first capture's
    `(campaign, industry)`."""
    # (A choice's default as the plain string the database returns, not the enum member.)
    defaults = [_plain(field.get_default()) for field in UPSERT_FIELDS if not field.primary_key]
    position = UPSERT_POSITION
    for name in ("captured_at", "last_touch_at", "last_activity_at", "updated_at"):
        defaults[position[name]] = now
    marketer = by.pk if by is not None and by.role == Role.MARKETER else None
    rows, first_captures = [], {}
    for email in sorted(people):
        captures = people[email]
        _, clean, campaign = captures[0]
        if len(captures) > 1:
            clean = dict(clean)
            for _, later, _ in captures[1:]:
                for name, value in later.items():
                    # (A lead keeps the source it was first captured from.)
                    if name != "source" and value not in ("", None) and clean.get(name) in ("", None):
                        clean[name] = value
        row = defaults.copy()
        for name, value in clean.items():
            if name != "industry":
                row[position[name]] = value
        industry = clean["industry"]
        row[position["industry_id"]] = industry.pk if industry is not None else None
        row[position["campaign_id"]] = campaign.pk
        # A capture may say where this lead came from; otherwise it came from the campaign's source.
        row[position["source"]] = clean["source"] or campaign.source
        row[position["captured_by_id"]] = marketer or campaign.owner_id
        row[position["touch_count"]] = len(captures)
        first_captures[email] = (campaign, industry)
        rows.append(row)
    return rows, first_captures


@functools.lru_cache(maxsize=64)
def upsert_sql(insert: str, *, postgres: bool, fill_segments: bool = False) -> str:
    """`insert` (of UPSERT_NAMES) as the upsert: a known email counts the touches and fills in its
    blanks; a lead merged away keeps its email but takes no touches (its captures go to its
    survivor). It returns the lead as it now is, in the model's column order, so that a row
    becomes a Lead as a query's would (`from_db`); on PostgreSQL a lead just inserted is the row
    that was sent, so only a known lead's columns come back, after its id, email and whether it was
    created (reading back a thousand new rows was a third of the upsert's time).

    Unless `fill_segments`, it leaves alone (and does not return) a known lead whose current
    verdict names pain themes when the capture would fill in its blank vertical, country or
    region: that moves the lead in voice of sales' roll-up, which `leads_upsert` does for those
    few under a lock."""
    table = Lead._meta.db_table
    updates = [
        f"touch_count = {table}.touch_count + excluded.touch_count",
        "last_touch_at = excluded.last_touch_at",
        "updated_at = excluded.updated_at",
        *(
            f"{name} = CASE WHEN {table}.{name} = '' THEN excluded.{name} ELSE {table}.{name} END"
            for name in FILLED_IF_BLANK
        ),
        *(f"{name} = COALESCE({table}.{name}, excluded.{name})" for name in FILLED_IF_NULL),
    ]
    columns = [connection.ops.quote_name(field.column) for field in UPSERT_FIELDS]
    if postgres:
        known = ", ".join(f"CASE WHEN xmax = 0 THEN NULL ELSE {table}.{column} END" for column in columns[2:])
        returning = f"{columns[0]}, {columns[1]}, (xmax = 0) AS created, {known}"
    else:
        returning = ", ".join(columns)
    where = f"{table}.merged_into_id IS NULL"
    if not fill_segments:
        fills = (
            f"({table}.industry_id IS NULL AND excluded.industry_id IS NOT NULL)",
            f"({table}.country = '' AND excluded.country <> '')",
            f"({table}.region = '' AND excluded.region <> '')",
        )
        where += f" AND ({table}.verdict_themes = '' OR NOT ({' OR '.join(fills)}))"
    return f"{insert} ON CONFLICT (email) DO UPDATE SET {', '.join(updates)} WHERE {where} RETURNING {returning}"


def lead_from_row(values, *, postgres: bool, sent, existing) -> tuple[Lead, bool]:
    """A row the upsert returned as `(lead, created)`: on PostgreSQL with the row `sent` for a new
    lead (by email), elsewhere created when its email was not among those `existing` before."""
    if postgres:
        pk, email, created, *rest = values
        values = [pk, *sent[email]] if created else [pk, email, *rest]
    else:
        created = values[1] not in existing
    return loaded(Lead, connection.alias, values), created


def loaded(model, alias: str, values):
    """`model.from_db(alias, None, values)` for a row of every concrete field in order, without
    going through each field's descriptor: on an instance just made, setting an id drops no cached
    relation, so the row's values are its whole state. (Model.__init__ cost a batch of 1,000 leads
    a quarter of its time in Python.) The ORM's own way when something listens to its signals."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return model.from_db(alias, None, values)
    instance = model.__new__(model)
    state = instance._state = ModelState()
    state.adding, state.db = False, alias
    instance.__dict__.update(zip(_attnames(model), values, strict=True))
    return instance


@functools.cache
def _attnames(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


_CAMPAIGN, _INDUSTRY, _OWNER = (Lead._meta.get_field(name) for name in ("campaign", "industry", "owner"))
_SCORED = Lead._meta.get_field("scored")


def known_relations(lead: Lead, created: bool, first_captures) -> None:
    """What the capture knows already, so that reading the lead's campaign, industry or (a new
    lead's) owner and score is no query: cached on the lead as assigning them would, whose ids it
    holds already."""
    campaign, industry = first_captures[lead.email]
    if lead.campaign_id == campaign.pk:
        _CAMPAIGN.set_cached_value(lead, campaign)
    if industry is not None and lead.industry_id == industry.pk:
        _INDUSTRY.set_cached_value(lead, industry)
    if created:
        _OWNER.set_cached_value(lead, None)  # (a new lead's owner_id is null)
        score = _score_row(lead.pk, lead._state.db)  # its row, written by the capture with it
        _SCORED.set_cached_value(lead, score)
        _SCORED.field.set_cached_value(score, lead)


def _score_row(pk, alias) -> LeadScore:
    """A new lead's score row as the capture writes it with the lead: unscored."""
    return loaded(LeadScore, alias, [*{**_score_defaults(), "lead_id": pk}.values()])


@functools.cache
def _score_defaults() -> dict:
    """Each field's default, in the fields' order (`loaded`'s)."""
    return {field.attname: field.get_default() for field in LeadScore._meta.concrete_fields}


def _plain(value):
    return str(value) if isinstance(value, str) else value
