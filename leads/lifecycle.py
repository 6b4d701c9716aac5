"""The rules of a lead's life, asked before anything is written: which status may follow which
(`TRANSITIONS`), who may take each action on a lead as it is now (`lead_action_refusal`, the one
definition the services enforce and the pages and the API ask before they offer a form), and what
a verdict may be (`verdict_value_clean`). Nothing here reads or writes the database: the writes
are `leads.services`'.
"""

from alignment.errors import DomainError, InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import Role, User
from leads.models import ACCEPTED_OPEN_STATUSES, OPEN_STATUSES, VERDICT_STATUSES, Lead, LeadStatus, VerdictValue

S = LeadStatus

# The lead lifecycle: from each status, where a lead may go next.
TRANSITIONS = {
    S.NEW: {S.HANDED_OFF, S.NURTURE},
    S.HANDED_OFF: {S.ACCEPTED, S.REJECTED, S.HANDED_OFF, S.NURTURE},
    S.ACCEPTED: {S.WORKING, S.QUALIFIED, S.LOST, S.HANDED_OFF, S.NURTURE},
    S.WORKING: {S.QUALIFIED, S.LOST, S.HANDED_OFF, S.NURTURE},
    S.QUALIFIED: {S.WON, S.LOST, S.HANDED_OFF, S.NURTURE},
    S.REJECTED: {S.HANDED_OFF, S.NURTURE},
    S.LOST: {S.NURTURE},
    S.NURTURE: {S.HANDED_OFF},
    S.WON: set(),
}


# --- who may do what ----------------------------------------------------------------------------

MARKETING = (Role.MARKETER, Role.MANAGER)
# Everything a user can do to a lead, in the order the lead page offers it.
LEAD_ACTIONS = (
    "edit",
    "hand_off",
    "accept",
    "reject",
    "activity",
    "qualify",
    "won",
    "lost",
    "snooze",
    "recycle",
    "verdict",
    "request_feedback",
    "merge",
)


def cannot_become(lead, status) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        f"A lead that is {lead.get_status_display().lower()} cannot become {S(status).label.lower()}."
    )


def lead_action_refusal(*, lead: Lead | None, user: User, action: str, open_handoff=None) -> DomainError | None:
    """Why `user` may not `action` the lead as it is now (a NotAllowed for the person, a
    TransitionNotAllowed for the lead's state), or None when they may. The one definition: the
    services raise what it returns, the pages and the API show only the actions it allows.

    `open_handoff` is the lead's handoff waiting for an answer, if any (accepting and rejecting need
    it). `lead` is None only for "capture".
    """
    if lead is not None and lead.merged_into_id is not None:
        return TransitionNotAllowed(f"This lead was merged into lead {lead.merged_into_id}: work on that one.")
    role = user.role
    is_owner_rep = lead is not None and role == Role.REP and lead.owner_id == user.id
    owner_only = NotAllowed("Only the rep who owns this lead may do this.")
    if lead is not None and role == Role.REP and lead.owner_id is None and lead.status != S.HANDED_OFF:
        # Nobody holds it any more (recycled, say, while the rep was on the page): the lead moved on,
        # which is a conflict to reload, not a permission the rep lacks.
        owner_only = TransitionNotAllowed(
            f"This lead is {lead.get_status_display().lower()} now and no rep holds it: reload it."
        )
    if action == "capture":
        return None if role in MARKETING else NotAllowed("Only marketers and managers capture leads.")
    if action == "edit":
        return None if role in MARKETING else NotAllowed("Only marketers and managers edit lead data.")
    if action == "hand_off":
        if role not in MARKETING:
            return NotAllowed("Only marketers and managers hand off leads.")
        if S.HANDED_OFF not in TRANSITIONS[lead.status]:
            return TransitionNotAllowed(f"A lead that is {lead.get_status_display().lower()} cannot be handed off.")
        if lead.status in OPEN_STATUSES and role != Role.MANAGER:
            return NotAllowed("This lead is already with a rep: only a manager can reassign it.")
        return None
    if action == "reassign":
        if role != Role.MANAGER:
            return NotAllowed("Only managers reassign leads.")
        if lead.status not in OPEN_STATUSES:
            return TransitionNotAllowed("No rep holds this lead: hand it off instead.")
        return None
    if action == "merge":
        return None if role in MARKETING else NotAllowed("Only marketers and managers merge leads.")
    if action in ("accept", "reject"):
        if open_handoff is None or lead.status != S.HANDED_OFF:
            waiting = "accepted" if action == "accept" else "accepted or rejected"
            return TransitionNotAllowed(f"This lead is not waiting to be {waiting}.")
        if role != Role.REP or open_handoff.to_rep_id != user.id:
            return NotAllowed(f"Only the rep this lead was handed to may {action} it.")
        return None
    if action in ("activity", "snooze"):
        if not is_owner_rep:
            return owner_only
        if lead.status not in ACCEPTED_OPEN_STATUSES:
            return TransitionNotAllowed("Accept the lead first: until then the answer is accept or reject.")
        return None
    if action in ("qualify", "won", "lost"):
        target = {"qualify": S.QUALIFIED, "won": S.WON, "lost": S.LOST}[action]
        if not is_owner_rep:
            return owner_only
        return None if target in TRANSITIONS[lead.status] else cannot_become(lead, target)
    if action == "recycle":
        if role not in MARKETING:
            return NotAllowed("Only marketers and managers recycle leads.")
        if S.NURTURE not in TRANSITIONS[lead.status]:
            return TransitionNotAllowed(f"A lead that is {lead.get_status_display().lower()} cannot be recycled.")
        return None
    if action == "verdict":
        if role != Role.REP or lead.owner_id != user.id:
            return NotAllowed("Only the rep who owns this lead may give a verdict on it.")
        if lead.status not in VERDICT_STATUSES:
            return TransitionNotAllowed("Accept or reject the lead first; a verdict follows once you have worked it.")
        return None
    if action == "request_feedback":
        if role != Role.MARKETER:
            return NotAllowed("Only marketers request feedback on a lead.")
        if lead.owner_id is None or lead.status == S.NEW:
            return TransitionNotAllowed("No rep holds this lead: there is nobody to ask.")
        return None
    raise ValueError(f"Unknown lead action {action!r}")


def lead_action_require(*, lead: Lead | None, user: User, action: str, open_handoff=None) -> None:
    """Require that `user` may `action` the lead now: raise the refusal `lead_action_refusal` gives, if any."""
    error = lead_action_refusal(lead=lead, user=user, action=action, open_handoff=open_handoff)
    if error is not None:
        raise error


def lead_actions(*, lead: Lead, user: User, open_handoff=None) -> set[str]:
    """Every action `user` may take on `lead` now: what the lead page offers."""
    return {
        action
        for action in LEAD_ACTIONS
        if lead_action_refusal(lead=lead, user=user, action=action, open_handoff=open_handoff) is None
    }


# --- verdicts -----------------------------------------------------------------------------------


def verdict_value_clean(verdict) -> str:
    """A verdict is good or bad: the one check, before anything is written."""
    if verdict not in VerdictValue.values:
        raise InvalidInput("The verdict is good or bad.", fields={"verdict": ["Choose good or bad."]})
    return verdict
