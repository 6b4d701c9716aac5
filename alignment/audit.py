"""The audit log: who changed roles, SLA settings, routing rules, goals, webhooks and reason codes.

Each service that makes such a change calls `audit_record` in its own transaction, so an entry
exists exactly when the change does. `audit_snapshot` and `audit_diff` turn a model's fields into
the before/after pairs managers read.
"""

from decimal import Decimal

from django.db import models

from alignment.models import AuditEntry, User


def _shown(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (list, tuple, set)):
        return sorted(_shown(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def audit_snapshot(instance: models.Model, fields) -> dict:
    """The listed fields of `instance` as people read them (a many-to-many as its sorted names)."""
    snapshot = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            snapshot[name] = _shown(list(getattr(instance, name).all())) if instance.pk else []
        else:
            snapshot[name] = _shown(getattr(instance, name))
    return snapshot


def audit_diff(before: dict, after: dict) -> dict:
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def audit_record(*, actor: User | None, area: str, action: str, target, changes: dict | None = None):
    """One entry; a change that changed nothing is not recorded."""
    changes = changes or {}
    if action == "changed" and not changes:
        return None
    return AuditEntry.objects.create(
        actor=actor,
        area=area,
        action=action,
        target=str(target)[:200],
        target_id=str(getattr(target, "pk", "") or ""),
        changes=changes,
    )
