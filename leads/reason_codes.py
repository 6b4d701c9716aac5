"""Reason codes: why a lead was rejected, judged bad or lost. Managers add, rename and retire them;
the services that take a reason accept only an active one (`reason_code_active`)."""

from alignment.code_lists import CodeList
from alignment.errors import InvalidInput
from alignment.models import AuditArea, User
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


REASON_CODES = CodeList(model=ReasonCode, area=AuditArea.REASON_CODE, noun="a reason", plural="reason codes")


def reason_code_create(*, label: str, by: User, code: str = "") -> ReasonCode:
    return REASON_CODES.create(label=label, by=by, code=code)


def reason_code_rename(*, reason: ReasonCode, label: str, by: User) -> ReasonCode:
    return REASON_CODES.rename(row=reason, label=label, by=by)


def reason_code_set_active(*, reason: ReasonCode, active: bool, by: User) -> ReasonCode:
    """Retiring a code hides it from new choices; the verdicts, rejections and losses that used it
    keep it (a code is never deleted)."""
    return REASON_CODES.set_active(row=reason, active=active, by=by)
