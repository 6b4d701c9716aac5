"""Managed code lists: short lists of codes with labels that managers add to, rename and retire in
the product (reason codes, pain themes). A code is never deleted: retired, it is no longer offered,
while every record that carries it keeps it and reads its current label. Each change is audited.

One list is one `CodeList` over a model with `code`, `label`, `active` and `position` fields."""

from django.db import transaction
from django.utils.text import slugify

from alignment.audit import audit_diff, audit_record
from alignment.errors import InvalidInput, NotAllowed
from alignment.models import Role, User


class CodeList:
    def __init__(self, *, model, area, noun: str, plural: str):
        # noun: "a reason", "a pain theme"; plural: "reason codes", "pain themes" (in the messages)
        self.model, self.area, self.noun, self.plural = model, area, noun, plural

    def _require_manager(self, by) -> None:
        if by.role != Role.MANAGER:
            raise NotAllowed(f"Only managers manage {self.plural}.")

    def _clean_label(self, label) -> str:
        label = (label or "").strip()
        if not label:
            raise InvalidInput(
                f"{self.noun.capitalize()} needs a label.", fields={"label": ["This field is required."]}
            )
        if len(label) > 100:
            raise InvalidInput("A label is at most 100 characters.", fields={"label": ["At most 100 characters."]})
        return label

    @transaction.atomic
    def create(self, *, label: str, by: User, code: str = ""):
        """A new code, from `code` or else from the label, placed last."""
        self._require_manager(by)
        label = self._clean_label(label)
        code = slugify(code or label).replace("-", "_")[:50]
        if not code:
            raise InvalidInput(
                f"{self.noun.capitalize()} needs a code.", fields={"code": ["Use letters, digits or underscores."]}
            )
        if self.model.objects.filter(code=code).exists():
            raise InvalidInput(f"The code {code!r} is taken.", fields={"code": ["Already in use."]})
        last = self.model.objects.order_by("-position").values_list("position", flat=True).first() or 0
        row = self.model.objects.create(code=code, label=label, position=last + 10)
        changes = {"code": [None, code], "label": [None, label]}
        audit_record(actor=by, area=self.area, action="created", target=row, changes=changes)
        return row

    @transaction.atomic
    def rename(self, *, row, label: str, by: User):
        """A new label for the same code: every record that carries it reads the new label."""
        self._require_manager(by)
        label = self._clean_label(label)
        changes = audit_diff({"label": row.label}, {"label": label})
        row.label = label
        row.save(update_fields=["label"])
        audit_record(actor=by, area=self.area, action="changed", target=row, changes=changes)
        return row

    @transaction.atomic
    def set_active(self, *, row, active: bool, by: User):
        """Retiring hides the code from new choices; restoring offers it again."""
        self._require_manager(by)
        changes = audit_diff({"active": row.active}, {"active": bool(active)})
        row.active = bool(active)
        row.save(update_fields=["active"])
        audit_record(actor=by, area=self.area, action="changed", target=row, changes=changes)
        return row
