"""The bulk actions on leads, all four: hand off, recycle and reassign are the leads floor's
(`leads.bulk`); requesting feedback is this floor's service, so the one entry point lives here."""

from alignment.errors import InvalidInput, NotFound
from alignment.models import User
from feedback.services import feedback_request
from leads.bulk import BULK_ACTIONS, lead_bulk_for_each, lead_bulk_hand_off, lead_bulk_reassign, lead_bulk_recycle
from leads.selectors import rep_get


def lead_bulk_request_feedback(*, ids, by: User, note: str) -> list[dict]:
    """Ask the rep who holds each lead how it is going, with one question for all."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Say what you would like to know.", fields={"note": ["This field is required."]})
    return lead_bulk_for_each(ids=ids, by=by, act=lambda lead: feedback_request(lead=lead, by=by, note=note))


def lead_bulk_action_run(*, action: str, ids, by: User, note: str = "", rep_id=None, reason: str = "") -> list[dict]:
    """Run one of BULK_ACTIONS on each lead of `ids`: `[{id, result: "done" | "refused", detail}]`.
    `rep_id` names the rep (empty: the routing rules choose); one nobody has is refused, from the
    page as from the API."""
    rep = None
    if rep_id not in (None, ""):
        try:
            rep = rep_get(pk=rep_id)
        except NotFound:
            raise InvalidInput("No such rep.", fields={"rep": ["Choose a sales rep."]}) from None
    if action == "hand_off":
        return lead_bulk_hand_off(ids=ids, by=by, note=note, rep=rep)
    if action == "recycle":
        return lead_bulk_recycle(ids=ids, by=by, reason=reason)
    if action == "reassign":
        return lead_bulk_reassign(ids=ids, by=by, rep=rep, note=note)
    if action == "request_feedback":
        return lead_bulk_request_feedback(ids=ids, by=by, note=note)
    raise InvalidInput("Choose an action.", fields={"action": [f"One of {', '.join(BULK_ACTIONS)}."]})
