"""Writes on routing rules (managers; every change in the audit log) and the managers' read of them.

A rule's criteria as the API sets them are lists — `countries` (ISO codes), `verticals` (ids) —
and a `campaign`; empty matches anything (`leads.routing`). Setting a list through here replaces
the single `country`/`region` or `vertical` the admin may have set, so a rule has one set of
criteria at a time. Unknown countries, verticals, campaigns or reps are field errors.
"""

from django.db import transaction
from django.db.models import QuerySet

from alignment.audit import audit_diff, audit_record
from alignment.countries import country_code
from alignment.errors import InvalidInput, NotAllowed, NotFound
from alignment.models import AuditArea, Role, User, Vertical
from leads.models import Campaign, RoutingRule

EDITABLE = ("name", "countries", "verticals", "campaign", "reps", "active")


def _require_manager(by):
    if by.role != Role.MANAGER:
        raise NotAllowed("Only managers manage routing rules.")


def routing_rule_list_for_user(*, user: User) -> QuerySet[RoutingRule]:
    """Every rule, in the order routing tries them, with what the API shows of each."""
    _require_manager(user)
    return RoutingRule.objects.select_related("campaign").prefetch_related("reps").order_by("priority", "id")


def routing_rule_get_for_user(*, user: User, pk) -> RoutingRule:
    try:
        return routing_rule_list_for_user(user=user).get(pk=int(pk))
    except (TypeError, ValueError, RoutingRule.DoesNotExist):
        raise NotFound("No such routing rule.") from None


def routing_rule_countries(rule: RoutingRule) -> list[str]:
    return list(rule.countries) if rule.countries else ([rule.country] if rule.country else [])


def routing_rule_verticals(rule: RoutingRule) -> list[int]:
    return list(rule.verticals) if rule.verticals else ([rule.vertical_id] if rule.vertical_id else [])


def _snapshot(rule: RoutingRule) -> dict:
    if rule.pk is None:
        return {}
    return {
        "name": rule.name,
        "countries": routing_rule_countries(rule),
        "verticals": routing_rule_verticals(rule),
        "campaign": rule.campaign_id,
        "reps": sorted(rule.reps.values_list("username", flat=True)),
        "active": rule.active,
    }


def _clean(data: dict, *, rule: RoutingRule | None) -> dict:
    """Check every field the caller sent and answer all the problems at once."""
    errors, clean = {}, {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors["name"] = ["A rule needs a name."]
        elif len(name) > 100:
            errors["name"] = ["At most 100 characters."]
        elif RoutingRule.objects.filter(name__iexact=name).exclude(pk=getattr(rule, "pk", None)).exists():
            errors["name"] = ["A rule with this name exists."]
        else:
            clean["name"] = name
    if "countries" in data:
        codes, bad = [], []
        for value in data["countries"] or []:
            try:
                code = country_code(value)
            except ValueError:
                code = ""
            (codes if code else bad).append(code or str(value)[:40])
        if bad:
            errors["countries"] = [f"Unknown countr{'ies' if len(bad) > 1 else 'y'}: {', '.join(bad)}."]
        else:
            clean["countries"] = sorted(set(codes))
    if "verticals" in data:
        wanted = set(data["verticals"] or [])
        found = set(Vertical.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if wanted - found:
            errors["verticals"] = [f"Unknown verticals: {', '.join(str(v) for v in sorted(wanted - found))}."]
        else:
            clean["verticals"] = sorted(found)
    if "campaign" in data:
        campaign = data["campaign"]
        if campaign is None:
            clean["campaign"] = None
        else:
            clean["campaign"] = Campaign.objects.filter(pk=campaign).first()
            if clean["campaign"] is None:
                errors["campaign"] = [f"Unknown campaign {campaign}."]
    if "reps" in data:
        wanted = set(data["reps"] or [])
        reps = list(User.objects.filter(pk__in=wanted, role=Role.REP, is_active=True))
        missing = wanted - {rep.pk for rep in reps}
        if missing:
            errors["reps"] = [f"Not active sales reps: {', '.join(str(r) for r in sorted(missing))}."]
        else:
            clean["reps"] = reps
    if "active" in data:
        clean["active"] = bool(data["active"])
    if errors:
        field, problems = next(iter(errors.items()))
        raise InvalidInput(f"{field}: {problems[0]}", fields=errors)
    return clean


def _apply(rule: RoutingRule, clean: dict) -> None:
    if "name" in clean:
        rule.name = clean["name"]
    if "countries" in clean:
        rule.countries, rule.country, rule.region = clean["countries"], "", ""
    if "verticals" in clean:
        rule.verticals, rule.vertical = clean["verticals"], None
    if "campaign" in clean:
        rule.campaign = clean["campaign"]
    if "active" in clean:
        rule.active = clean["active"]
    rule.save()
    if "reps" in clean:
        rule.reps.set(clean["reps"])


def _audit(by, action, rule, changes):
    audit_record(actor=by, area=AuditArea.ROUTING, action=action, target=rule, changes=changes)


@transaction.atomic
def routing_rule_create(*, data: dict, by: User) -> RoutingRule:
    """A new rule, tried after the existing ones (priority after the last)."""
    _require_manager(by)
    if "name" not in data:
        raise InvalidInput("A rule needs a name.", fields={"name": ["This field is required."]})
    clean = _clean(data, rule=None)
    last = RoutingRule.objects.order_by("-priority").values_list("priority", flat=True).first()
    rule = RoutingRule(priority=(last or 0) + 10)
    _apply(rule, clean)
    audit_record(
        actor=by, area=AuditArea.ROUTING, action="created", target=rule, changes=audit_diff({}, _snapshot(rule))
    )
    return rule


@transaction.atomic
def routing_rule_update(*, rule: RoutingRule, data: dict, by: User) -> RoutingRule:
    _require_manager(by)
    rule = RoutingRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    before = _snapshot(rule)
    _apply(rule, _clean(data, rule=rule))
    audit_record(
        actor=by, area=AuditArea.ROUTING, action="changed", target=rule, changes=audit_diff(before, _snapshot(rule))
    )
    return routing_rule_get_for_user(user=by, pk=rule.pk)


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, by: User) -> None:
    """Handoffs it routed keep their reason; they no longer name the rule."""
    _require_manager(by)
    before = _snapshot(rule)
    audit_record(
        actor=by,
        area=AuditArea.ROUTING,
        action="deleted",
        target=rule,
        changes={k: [v, None] for k, v in before.items()},
    )
    rule.delete()
