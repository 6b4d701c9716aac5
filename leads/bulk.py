"""Work on many leads at once: each lead goes through the same service, and so the same rule
(`lead_action_refusal`), as one lead at a time, in its own transaction, with its own result.

The request feedback action is feedback's (`feedback.bulk` runs it on the same loop).
"""

from collections.abc import Callable, Iterable

from django.db import transaction

from alignment.errors import DomainError, InvalidInput
from alignment.models import Role, User
from leads.models import Lead
from leads.selectors import lead_visible_q
from leads.services import lead_hand_off, lead_reassign, lead_recycle

BULK_MAX = 1000
DONE, REFUSED = "done", "refused"
NOT_FOUND = "not found"

# Every bulk action, and who the lead list offers it to (each lead still asks lead_action_refusal).
BULK_ACTIONS = {
    "hand_off": ("Hand off", (Role.MARKETER, Role.MANAGER)),
    "recycle": ("Recycle to nurture", (Role.MARKETER, Role.MANAGER)),
    "reassign": ("Reassign", (Role.MANAGER,)),
    "request_feedback": ("Request feedback", (Role.MARKETER,)),
}


def bulk_action_choices(user: User) -> list[tuple[str, str]]:
    """The bulk actions to offer `user`, as (action, label)."""
    return [(action, label) for action, (label, roles) in BULK_ACTIONS.items() if user.role in roles]


def lead_bulk_for_each(
    *, ids: Iterable[int], by: User, act: Callable[[Lead], object], best_first: bool = False
) -> list[dict]:
    """Run `act(lead)` on each lead of `ids` that `by` may see, in the order given (a repeated id
    once), each in its own transaction: a refusal rolls back that lead alone and is its result.
    With `best_first` the leads are acted on highest score first (unscored last, ties in the order
    given); the results still come in the order given.

    An id `by` may not see answers "not found", like one that does not exist, so a bulk request
    never tells which leads exist. One query finds the leads; each then costs what its service costs.
    """
    ids = list(dict.fromkeys(ids))
    if not 1 <= len(ids) <= BULK_MAX:
        raise InvalidInput(f"Send 1 to {BULK_MAX:,} lead ids.", fields={"ids": [f"Send 1 to {BULK_MAX:,} ids."]})
    leads = Lead.objects.filter(lead_visible_q(by), pk__in=ids, merged_into__isnull=True)
    leads = (leads.select_related("scored") if best_first else leads).in_bulk()
    order = ids
    if best_first:
        position = {pk: n for n, pk in enumerate(ids)}
        order = sorted(ids, key=lambda pk: (-_score_rank(leads.get(pk)), position[pk]))
    results = {}
    for pk in order:
        lead = leads.get(pk)
        if lead is None:
            results[pk] = {"id": pk, "result": REFUSED, "detail": NOT_FOUND}
            continue
        try:
            with transaction.atomic():
                act(lead)
        except DomainError as error:
            results[pk] = {"id": pk, "result": REFUSED, "detail": error.message}
        else:
            results[pk] = {"id": pk, "result": DONE, "detail": ""}
    return [results[pk] for pk in ids]


def _score_rank(lead: Lead | None) -> float:
    return -1.0 if lead is None or lead.score is None else lead.score


def _required(value, field: str, message: str) -> str:
    value = (value or "").strip() if isinstance(value, str) else value
    if not value:
        raise InvalidInput(message, fields={field: ["This field is required."]})
    return value


def _rep_checked(rep: User | None) -> User | None:
    if rep is not None and (rep.role != Role.REP or not rep.is_active):
        raise InvalidInput(f"{rep.username} is not a sales rep.", fields={"rep": ["Choose a sales rep."]})
    return rep


def lead_bulk_hand_off(*, ids, by: User, note: str, rep: User | None = None) -> list[dict]:
    """Hand each lead to `rep`, or to whoever the routing rules choose for it, with one story for all.

    By the rules, the highest scores go first: when the reps' capacity runs out partway, it went
    to the leads most likely to be judged good, and the rest wait in the managers' queue."""
    note = _required(note, "note", "Tell the leads' story: a handoff needs a note.")
    rep = _rep_checked(rep)
    return lead_bulk_for_each(
        ids=ids, by=by, act=lambda lead: lead_hand_off(lead=lead, rep=rep, note=note, by=by), best_first=rep is None
    )


def lead_bulk_recycle(*, ids, by: User, reason: str) -> list[dict]:
    reason = _required(reason, "reason", "Say why the leads go back to nurture.")
    return lead_bulk_for_each(ids=ids, by=by, act=lambda lead: lead_recycle(lead=lead, by=by, reason=reason))


def lead_bulk_reassign(*, ids, by: User, rep: User | None, note: str = "") -> list[dict]:
    """Move each lead some rep holds to `rep` (managers)."""
    rep = _rep_checked(_required(rep, "rep", "Choose the rep to reassign the leads to."))
    note = (note or "").strip() or f"Reassigned to {rep.display_name} by {by.display_name}."
    return lead_bulk_for_each(ids=ids, by=by, act=lambda lead: lead_reassign(lead=lead, rep=rep, note=note, by=by))
