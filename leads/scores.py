"""Keeping a lead's stored `score` current when what it is scored on changes.

The score is learned and served by an upper floor (scoring/), which this floor must not know. So
the services here call `leads_scores_refresh(lead_ids=…)` after they change what a score reads
(capture, a data fix, a handoff, a merge), in the same transaction, and the upper floor registers
the function that rescores them in SQL when its app is ready. With nothing registered the call does
nothing, and the rescorer itself costs no query while no model serves.
"""

from collections.abc import Callable, Iterable

from django.db import connection

from leads.models import ACCEPTED_OPEN_STATUSES, Lead, LeadScore

_rescorers: list[Callable] = []


def lead_rescorer_register(rescorer: Callable) -> None:
    """`rescorer(lead_ids=[…])` rescoring those leads; registering one twice keeps one."""
    if rescorer not in _rescorers:
        _rescorers.append(rescorer)


def leads_scores_refresh(*, lead_ids: Iterable[int]) -> None:
    ids = sorted({int(i) for i in lead_ids})
    if not ids:
        return
    for rescorer in _rescorers:
        rescorer(lead_ids=ids)


def lead_score_rows_add(*, ids_from: int, ids_to: int) -> None:
    """The score rows (`LeadScore`, unscored) of the leads with ids in `[ids_from, ids_to)` loaded in
    bulk, around capture (a generated data set): capture writes a new lead's row with it."""
    statuses = ", ".join(["%s"] * len(ACCEPTED_OPEN_STATUSES))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LeadScore._meta.db_table} (lead_id, working_owner_id) SELECT id, CASE "
            f"WHEN status IN ({statuses}) AND merged_into_id IS NULL THEN owner_id END "
            f"FROM {Lead._meta.db_table} WHERE id >= %s AND id < %s",
            [*ACCEPTED_OPEN_STATUSES, ids_from, ids_to],
        )


def lead_score_row_follow(*, lead: Lead) -> None:
    """After `lead` moved into or out of a rep's work, its score row says so (`working_owner`): one
    upsert, which also writes the row of a lead that has none."""
    working = lead.owner_id if lead.status in ACCEPTED_OPEN_STATUSES and lead.merged_into_id is None else None
    LeadScore.objects.bulk_create(
        [LeadScore(lead=lead, working_owner_id=working)],
        update_conflicts=True,
        unique_fields=["lead"],
        update_fields=["working_owner"],
    )
