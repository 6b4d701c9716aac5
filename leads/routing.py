"""Routing: which rep a handoff goes to when nobody chose one by hand.

Rules are tried by priority. A rule matches a lead by its country/region, vertical and campaign
(empty matches anything). Its candidates are the active reps who cover the lead: a rep who declared
territories (`add_member --territory`) covers only leads there, a rep who declared verticals only
leads in them, and a rep who declared none covers everything. The rule's own rep list, when set,
narrows the candidates to its members. Among the candidates who are available (not out of office,
under their monthly capacity) the rule goes round-robin; the first rule with one wins, and when no
rule has one the lead waits in the managers' queue.
"""

from django.db.models import Count, Exists, OuterRef, Q

from alignment.models import Role, Territory, User
from leads.models import Handoff, Lead, RoutingRule


def _rep_load_this_month(rep_ids, now) -> dict[int, int]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Handoff.objects.filter(to_rep_id__in=rep_ids, created_at__gte=start).values("to_rep_id").annotate(n=Count("id"))
    )
    return {row["to_rep_id"]: row["n"] for row in rows}


def _rule_matches(rule: RoutingRule, lead: Lead) -> bool:
    if rule.country and rule.country.upper() != (lead.country or "").upper():
        return False
    if rule.region and rule.region.lower() != (lead.region or "").lower():
        return False
    if rule.countries and (lead.country or "").upper() not in rule.countries:
        return False
    if rule.verticals and lead.industry_id not in rule.verticals:
        return False
    if rule.campaign_id and rule.campaign_id != lead.campaign_id:
        return False
    return not (rule.vertical_id and rule.vertical_id != lead.industry_id)


def _rule_criteria(rule: RoutingRule) -> str:
    parts = []
    if rule.country:
        parts.append(f"country {rule.country}" + (f"/{rule.region}" if rule.region else ""))
    if rule.countries:
        parts.append("countries " + ", ".join(rule.countries))
    if rule.vertical_id:
        parts.append(f"vertical {rule.vertical.name}")
    if rule.verticals:
        parts.append(f"{len(rule.verticals)} vertical{'s' if len(rule.verticals) != 1 else ''}")
    if rule.campaign_id:
        parts.append(f"campaign {rule.campaign.name}")
    return ", ".join(parts) or "any lead"


def rule_candidates(*, rule: RoutingRule, lead: Lead):
    """The active reps a rule may route `lead` to, before availability and capacity, by id."""
    reps = User.objects.filter(role=Role.REP, is_active=True)
    if rule.reps.exists():
        reps = reps.filter(pk__in=rule.reps.values("pk"))
    if rule.country or rule.countries:
        covers = Territory.objects.filter(reps=OuterRef("pk"), country__iexact=lead.country).filter(
            Q(region="") | Q(region__iexact=lead.region or "")
        )
        reps = reps.filter(Exists(covers) | ~Exists(Territory.objects.filter(reps=OuterRef("pk"))))
    if rule.vertical_id or rule.verticals:
        reps = reps.filter(
            Exists(User.verticals.through.objects.filter(user_id=OuterRef("pk"), vertical_id=lead.industry_id))
            | ~Exists(User.verticals.through.objects.filter(user_id=OuterRef("pk")))
        )
    return reps.order_by("id")


def lead_route(*, lead: Lead, now, exclude=frozenset()):
    """Choose the rep for a lead by the routing rules. Returns `(rep, rule, turn, reason)`.

    Reps in `exclude` (ids: with offers on, those who rejected this lead or let an offer of it
    lapse) are skipped like an unavailable rep.

    Must run inside the handoff's transaction: the matching rule's row is locked while its turn
    advances, so concurrent handoffs queue up for turns instead of sharing one.
    """
    skipped = []
    for rule in RoutingRule.objects.filter(active=True).select_related("vertical", "campaign"):
        if not _rule_matches(rule, lead):
            continue
        rule = (
            RoutingRule.objects.select_for_update(of=("self",)).select_related("vertical", "campaign").get(pk=rule.pk)
        )
        reps = list(rule_candidates(rule=rule, lead=lead))
        load = _rep_load_this_month([r.id for r in reps], now)
        eligible = []
        for rep in reps:
            if rep.id in exclude:
                skipped.append(f"{rep.display_name} (turned this lead down or let an offer of it lapse)")
            elif not rep.available:
                skipped.append(f"{rep.display_name} (out of office)")
            elif rep.monthly_capacity is not None and load.get(rep.id, 0) >= rep.monthly_capacity:
                skipped.append(f"{rep.display_name} (at capacity, {load.get(rep.id, 0)}/{rep.monthly_capacity})")
            else:
                eligible.append(rep)
        if not eligible:
            continue
        after = [r for r in eligible if rule.last_rep_id is None or r.id > rule.last_rep_id]
        rep = (after or eligible)[0]
        rule.turns += 1
        rule.last_rep = rep
        rule.save(update_fields=["turns", "last_rep"])
        reason = (
            f"Rule “{rule.name}” ({_rule_criteria(rule)}), turn {rule.turns}: "
            f"{rep.display_name} was next in the round-robin of {len(eligible)} available rep"
            f"{'s' if len(eligible) != 1 else ''}."
        )
        if skipped:
            reason += " Skipped: " + "; ".join(skipped) + "."
        return rep, rule, rule.turns, reason
    reason = "No routing rule had an available rep under capacity for this lead"
    reason += f" ({', '.join(skipped)})." if skipped else "."
    return None, None, None, reason + " It waits in the managers' queue."
