"""Pain themes managed in the product: managers add, rename, retire and restore them, as they do
reason codes. Each change is audited. A theme is never deleted: retired, it is no longer offered on
the verdict form, while the verdicts that carry it keep it and voice of sales still counts them."""

from django.db import transaction
from django.utils.text import slugify

from alignment.audit import audit_diff, audit_record
from alignment.errors import InvalidInput, NotAllowed, NotFound
from alignment.models import AuditArea, Role, User
from feedback.models import PainTheme


def _require_manager(by):
    if by.role != Role.MANAGER:
        raise NotAllowed("Only managers manage pain themes.")


def _clean_label(label) -> str:
    label = (label or "").strip()
    if not label:
        raise InvalidInput("A pain theme needs a label.", fields={"label": ["This field is required."]})
    if len(label) > 100:
        raise InvalidInput("A label is at most 100 characters.", fields={"label": ["At most 100 characters."]})
    return label


def pain_theme_get(*, pk) -> PainTheme:
    theme = PainTheme.objects.filter(pk=pk).first()
    if theme is None:
        raise NotFound("No such pain theme.")
    return theme


@transaction.atomic
def pain_theme_create(*, label: str, by: User, code: str = "") -> PainTheme:
    _require_manager(by)
    label = _clean_label(label)
    code = slugify(code or label).replace("-", "_")[:50]
    if not code:
        raise InvalidInput("A pain theme needs a code.", fields={"code": ["Use letters, digits or underscores."]})
    if PainTheme.objects.filter(code=code).exists():
        raise InvalidInput(f"The code {code!r} is taken.", fields={"code": ["Already in use."]})
    last = PainTheme.objects.order_by("-position").values_list("position", flat=True).first() or 0
    theme = PainTheme.objects.create(code=code, label=label, position=last + 10)
    changes = {"code": [None, code], "label": [None, label]}
    audit_record(actor=by, area=AuditArea.PAIN_THEME, action="created", target=theme, changes=changes)
    return theme


@transaction.atomic
def pain_theme_rename(*, theme: PainTheme, label: str, by: User) -> PainTheme:
    """A new label for the same code: every verdict that carries it reads the new label."""
    _require_manager(by)
    label = _clean_label(label)
    changes = audit_diff({"label": theme.label}, {"label": label})
    theme.label = label
    theme.save(update_fields=["label"])
    audit_record(actor=by, area=AuditArea.PAIN_THEME, action="changed", target=theme, changes=changes)
    return theme


@transaction.atomic
def pain_theme_set_active(*, theme: PainTheme, active: bool, by: User) -> PainTheme:
    _require_manager(by)
    changes = audit_diff({"active": theme.active}, {"active": bool(active)})
    theme.active = bool(active)
    theme.save(update_fields=["active"])
    audit_record(actor=by, area=AuditArea.PAIN_THEME, action="changed", target=theme, changes=changes)
    return theme
