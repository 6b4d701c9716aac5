"""The scorecard's daily roll-up of bad reasons (`ReasonDay`): what each feedback item adds to it,
and how a change is applied.

An item counts when it carries a reason against its lead (`BAD_REASON_KINDS` with a reason), on its
lead's capture day and campaign: the cohort the scorecard reads, as `LeadDay` counts its cohorts.
The services that open an item, change its reason or move it to another lead hand the change to
`reason_days_change` (or `reason_days_move`) in the same transaction; a verdict hands everything it
moves in either roll-up to `verdict_figures_apply`, once. `reason_days_rebuild` recomputes
everything from the items, and `figures_rebuild` every roll-up (with voice of sales' themes,
`theme_figures_rebuild`), wherever a whole database's figures are recomputed.
"""

from collections import Counter

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from alignment.days import company_day, company_tz
from feedback.models import BAD_REASON_KINDS, FeedbackItem, ReasonDay, Verdict
from leads.models import Lead
from leads.rollup import lead_days_rebuild, lead_verdict_record, rollup_upserts
from leads.segment_rollup import segment_months_rebuild
from leads.theme_rollup import theme_day_rows, theme_days_apply, theme_days_rebuild, themes_text

# {(day, campaign id, reason id): count}
ReasonRows = Counter
KEY = ("day", "campaign_id", "reason_id")


def counts_reason(kind: str, reason_id: int | None) -> bool:
    return kind in BAD_REASON_KINDS and reason_id is not None


# The items the roll-up counts: those with a reason against their lead.
COUNTED = Q(kind__in=BAD_REASON_KINDS, reason__isnull=False)


def _counted_items(item_model=FeedbackItem):
    return item_model.objects.filter(COUNTED)


def reason_day_rows(lead: Lead, reason_ids) -> ReasonRows:
    """What items with these reasons (one id per item) add to the roll-up on `lead`'s cohort."""
    return Counter((company_day(lead.captured_at), lead.campaign_id, reason_id) for reason_id in reason_ids)


def reason_days_apply(*, before: ReasonRows, after: ReasonRows) -> None:
    """Add `after − before` to the roll-up with upserts (`leads.rollup.rollup_upserts`: rows in key
    order); nothing when they are equal."""
    delta = {key: after.get(key, 0) - before.get(key, 0) for key in before.keys() | after.keys()}
    changes = {key: {"count": change} for key, change in delta.items() if change}
    with connection.cursor() as cursor:
        for sql, params in rollup_upserts(ReasonDay._meta.db_table, KEY, ("count",), changes):
            cursor.execute(sql, params)


def reason_days_change(*, lead: Lead, before=(), after=()) -> None:
    """One item on `lead` counted the reasons `before` (ids; none when it did not count) and now
    counts `after`: move its count in the roll-up."""
    reason_days_apply(before=reason_day_rows(lead, before), after=reason_day_rows(lead, after))


def verdict_figures_apply(*, lead: Lead, verdict: str, at, item_reasons=((), ()), themes=()) -> None:
    """Everything one verdict moves in the figures, inside `verdict_give`'s transaction: the lead's
    current verdict, which the dashboard's roll-up counts (`leads.rollup.lead_verdict_record`);
    its pain themes (`themes`: ids), which voice of sales' roll-up counts in place of the earlier
    verdict's (`leads.theme_rollup`); and, when the verdict revises the bad reason an open item
    stands for, that item's count in the scorecard's roll-up (`item_reasons`: the ids before and
    after)."""
    before = theme_day_rows(lead)
    lead_verdict_record(lead=lead, verdict=verdict, at=at, themes=themes_text(themes))
    theme_days_apply(before=before, after=theme_day_rows(lead))
    before, after = item_reasons
    if before or after:
        reason_days_change(lead=lead, before=before, after=after)


def reason_days_move(*, source: Lead, target: Lead) -> None:
    """The items of `source` are about to move to `target` (a merge): their reasons leave the
    source's cohort for the target's, which may be another day or campaign."""
    reason_ids = list(_counted_items().filter(lead=source).values_list("reason_id", flat=True))
    if reason_ids:
        reason_days_apply(before=reason_day_rows(source, reason_ids), after=reason_day_rows(target, reason_ids))


def lead_bad_reasons_refresh(lead_ids=None, *, item_model=FeedbackItem, lead_model=Lead) -> int:
    """Set the `bad_reasons` of each lead of `lead_ids` (or of every lead) from the items the
    roll-up counts, where they differ; called after the items are written (opened, their reason
    revised, moved by a merge, edited in the admin). Returns how many leads changed. A migration
    passes its historical models."""
    leads, items = lead_model._meta.db_table, item_model._meta.db_table
    kinds = ", ".join(f"'{kind}'" for kind in BAD_REASON_KINDS)
    counted = f"i.kind IN ({kinds}) AND i.reason_id IS NOT NULL"
    if lead_ids is not None:
        lead_ids = sorted(set(lead_ids))
        if not lead_ids:
            return 0
    with connection.cursor() as cursor:
        if lead_ids is None and connection.vendor == "postgresql":
            # Every lead: the items grouped once, rather than one probe for each of a million leads.
            grouped = (
                f"SELECT i.lead_id, string_agg(i.reason_id::text, ',' ORDER BY i.reason_id) AS ids "
                f"FROM {items} i WHERE {counted} GROUP BY i.lead_id"
            )
            cursor.execute(
                f"UPDATE {leads} l SET bad_reasons = s.ids FROM ({grouped}) s "
                "WHERE l.id = s.lead_id AND l.bad_reasons <> s.ids"
            )
            changed = cursor.rowcount
            cursor.execute(
                f"UPDATE {leads} l SET bad_reasons = '' WHERE l.bad_reasons <> '' "
                f"AND NOT EXISTS (SELECT 1 FROM {items} i WHERE i.lead_id = l.id AND {counted})"
            )
            return changed + cursor.rowcount
        if connection.vendor == "postgresql":
            ids = f"(SELECT string_agg(i.reason_id::text, ',' ORDER BY i.reason_id) FROM {items} i"
            ids += f" WHERE i.lead_id = {leads}.id AND {counted})"
        else:
            ids = f"(SELECT group_concat(r, ',') FROM (SELECT i.reason_id AS r FROM {items} i"
            ids += f" WHERE i.lead_id = {leads}.id AND {counted} ORDER BY r))"
        which, params = "", []
        if lead_ids is not None:
            which, params = f" AND id IN ({', '.join(['%s'] * len(lead_ids))})", lead_ids
        cursor.execute(
            f"UPDATE {leads} SET bad_reasons = COALESCE({ids}, '') WHERE bad_reasons <> COALESCE({ids}, ''){which}",
            params,
        )
        return cursor.rowcount


def reason_day_rows_of(items) -> ReasonRows:
    """What `items` (a queryset of feedback items) add to the roll-up, read from the database."""
    rows: ReasonRows = Counter()
    items = items.filter(COUNTED)
    for captured_at, campaign_id, reason_id in items.values_list("lead__captured_at", "lead__campaign_id", "reason"):
        rows[(company_day(captured_at), campaign_id, reason_id)] += 1
    return rows


def _reason_day_totals(item_model):
    """The roll-up's rows as the items give them: `(day, campaign id, reason id, count)`, grouped in
    the database."""
    return (
        _counted_items(item_model)
        .annotate(day=TruncDate("lead__captured_at", tzinfo=company_tz()))
        .values_list("day", "lead__campaign_id", "reason_id")
        .annotate(n=Count("*"))
        .order_by()
    )


@transaction.atomic
def reason_days_rebuild(item_model=FeedbackItem, day_model=ReasonDay) -> int:
    """Recompute the whole roll-up from the items; returns its row count. A migration passes its
    historical models.

    On PostgreSQL the table is locked against the services' writes first, so an item committed
    while this runs is either read here or added after: none is lost or counted twice.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {day_model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    day_model.objects.all().delete()
    rows = [
        day_model(day=day, campaign_id=campaign_id, reason_id=reason_id, count=n)
        for day, campaign_id, reason_id, n in _reason_day_totals(item_model)
    ]
    day_model.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@transaction.atomic
def verdict_themes_refresh(verdict_model=Verdict, lead_model=Lead) -> int:
    """Set each lead's `verdict_themes` from its current verdict's pain themes, where they differ
    (themes written behind the services' back: generated data, a bench); returns how many leads
    changed. A migration passes its historical models."""
    through = verdict_model.pain_themes.through
    if connection.vendor == "postgresql":
        leads, verdicts, themes = lead_model._meta.db_table, verdict_model._meta.db_table, through._meta.db_table
        current = (
            f"SELECT v.lead_id, string_agg(t.paintheme_id::text, ',' ORDER BY t.paintheme_id) AS ids "
            f"FROM {verdicts} v JOIN {themes} t ON t.verdict_id = v.id WHERE v.current GROUP BY v.lead_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {leads} l SET verdict_themes = s.ids FROM ({current}) s "
                "WHERE l.id = s.lead_id AND l.verdict_themes <> s.ids"
            )
            changed = cursor.rowcount
            cursor.execute(
                f"UPDATE {leads} l SET verdict_themes = '' WHERE l.verdict_themes <> '' AND NOT EXISTS ("
                f"SELECT 1 FROM {verdicts} v JOIN {themes} t ON t.verdict_id = v.id "
                "WHERE v.lead_id = l.id AND v.current)"
            )
            return changed + cursor.rowcount
    wanted: dict[int, list[int]] = {}
    for lead_id, theme_id in through.objects.filter(verdict__current=True).values_list(
        "verdict__lead_id", "paintheme_id"
    ):
        wanted.setdefault(lead_id, []).append(theme_id)
    wanted_text = {lead_id: themes_text(ids) for lead_id, ids in wanted.items()}
    stale = lead_model.objects.filter(pk__in=list(wanted_text)) | lead_model.objects.exclude(verdict_themes="")
    changed = []
    for lead in stale.only("id", "verdict_themes"):
        text = wanted_text.get(lead.pk, "")
        if lead.verdict_themes != text:
            lead.verdict_themes = text
            changed.append(lead)
    lead_model.objects.bulk_update(changed, ["verdict_themes"], batch_size=1000)
    return len(changed)


def theme_figures_rebuild() -> int:
    """Voice of sales' roll-up (`ThemeDay`) from the verdicts: each lead's themes from its current
    verdict, then the roll-up from the leads; its row count."""
    verdict_themes_refresh()
    return theme_days_rebuild()


def figures_rebuild() -> tuple[int, int, int]:
    """The daily roll-ups from scratch, the dashboard's (`LeadDay`), the scorecard's bad reasons
    (`ReasonDay`) and voice of sales' pain themes (`ThemeDay`), wherever a whole database's figures
    are recomputed; their row counts. The plan's monthly roll-up (`SegmentMonth`) last, from the
    leads as the refreshes left them."""
    figures = lead_days_rebuild(), reason_days_rebuild(), theme_figures_rebuild()
    lead_bad_reasons_refresh()
    segment_months_rebuild()
    return figures
