"""Reason codes: why a lead was rejected, judged bad or lost. Managers add, rename and retire them;
the services that take a reason accept only an active one (`reason_code_active`)."""

from django.db import transaction
from django.utils.text import slugify

from alignment.audit import audit_diff, audit_record
from alignment.errors import InvalidInput, NotAllowed
from alignment.models import AuditArea, Role, User
from leads.models import ReasonCode


def reason_code_active(reason, *, required: bool = True) -> ReasonCode | None:
    """The active reason code `reason` names (a code or the row itself); None when it is empty and
    not `required`. An unknown or retired code is bad input."""
    if isinstance(reason, ReasonCode):
        code = reason
    else:
        value = str(reason or "").strip()
        if not value:
            if required:
                raise InvalidInput("Choose a reason.", fields={"reason": ["This field is required."]})
            return None
        code = ReasonCode.objects.filter(code=value).first()
    if code is None or not code.active:
        raise InvalidInput("Choose one of the reason codes.", fields={"reason": ["Unknown or retired reason code."]})
    return code


def _require_manager(by):
    if by.role != Role.MANAGER:
        raise NotAllowed("Only managers manage reason codes.")


def _clean_label(label) -> str:
    label = (label or "").strip()
    if not label:
        raise InvalidInput("A reason needs a label.", fields={"label": ["This field is required."]})
    if len(label) > 100:
        raise InvalidInput("A label is at most 100 characters.", fields={"label": ["At most 100 characters."]})
    return label


@transaction.atomic
def reason_code_create(*, label: str, by: User, code: str = "") -> ReasonCode:
    _require_manager(by)
    label = _clean_label(label)
    code = slugify(code or label).replace("-", "_")[:50]
    if not code:
        raise InvalidInput("A reason needs a code.", fields={"code": ["Use letters, digits or underscores."]})
    if ReasonCode.objects.filter(code=code).exists():
        raise InvalidInput(f"The code {code!r} is taken.", fields={"code": ["Already in use."]})
    last = ReasonCode.objects.order_by("-position").values_list("position", flat=True).first() or 0
    reason = ReasonCode.objects.create(code=code, label=label, position=last + 10)
    changes = {"code": [None, code], "label": [None, label]}
    audit_record(actor=by, area=AuditArea.REASON_CODE, action="created", target=reason, changes=changes)
    return reason


@transaction.atomic
def reason_code_rename(*, reason: ReasonCode, label: str, by: User) -> ReasonCode:
    """A new label for the same code: every record that used it reads the new label."""
    _require_manager(by)
    changes = audit_diff({"label": reason.label}, {"label": _clean_label(label)})
    reason.label = _clean_label(label)
    reason.save(update_fields=["label"])
    audit_record(actor=by, area=AuditArea.REASON_CODE, action="changed", target=reason, changes=changes)
    return reason


@transaction.atomic
def reason_code_set_active(*, reason: ReasonCode, active: bool, by: User) -> ReasonCode:
    """Retiring a code hides it from new choices; the verdicts, rejections and losses that used it
    keep it (a code is never deleted)."""
    _require_manager(by)
    changes = audit_diff({"active": reason.active}, {"active": bool(active)})
    reason.active = bool(active)
    reason.save(update_fields=["active"])
    audit_record(actor=by, area=AuditArea.REASON_CODE, action="changed", target=reason, changes=changes)
    return reason
