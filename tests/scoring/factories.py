"""Judged leads in bulk, with known effects planted in their verdicts, for the score's tests.

Rows are written directly (bulk_create): the services' rules are tested elsewhere, and a model
needs hundreds of verdicts. Each lead is handed off to `rep`, has one capture touch, and its first
verdict comes one day after its handoff; later leads are judged later (the time split's order).
"""

import math
import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from alignment.models import Vertical
from feedback.models import Verdict
from leads.models import CaptureChannel, Lead, LeadScore, LeadStatus, Touch

TITLES = ("CEO", "VP Sales", "Marketing Director", "IT Manager", "Analyst", "")


def planted_good_chance(*, good_campaign: bool, free_mail: bool, title: str) -> float:
    """Company email +, free mail −, the good campaign +, seniority + (CEO/VP most)."""
    z = -0.3 + (1.2 if good_campaign else 0.0) + (-1.3 if free_mail else 0.4)
    z += {"CEO": 0.9, "VP Sales": 0.9, "Marketing Director": 0.5, "IT Manager": 0.1}.get(title, -0.4)
    return 1 / (1 + math.exp(-z))


def judged_leads(*, count, campaigns, rep, marketer, seed=1, start=None, unjudged=0, verdicts=True):
    """`count` judged leads (and `unjudged` more handed off but not judged); campaigns[0] is the good
    one. Returns the leads in id order."""
    rng = random.Random(seed)
    start = start or timezone.now() - timedelta(days=400)
    vertical, _ = Vertical.objects.get_or_create(name="Retail")
    leads, plans = [], []
    first = (Lead.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    for n in range(count + unjudged):
        campaign = campaigns[n % len(campaigns)]
        free = rng.random() < 0.35
        title = rng.choice(TITLES)
        captured = start + timedelta(hours=12 * n)
        handed = captured + timedelta(hours=2)
        domain = "gmail.com" if free else f"firm{n % 40}.example"
        leads.append(
            Lead(
                email=f"p{first + n}@{domain}",
                name=f"Person {n}",
                company="" if rng.random() < 0.1 else f"Firm {n % 40}",
                title=title,
                phone="+49 30 1234" if rng.random() < 0.5 else "",
                country=rng.choice(("DE", "AT", "FR")),
                region="",
                industry=vertical if rng.random() < 0.7 else None,
                estimated_value=Decimal(rng.choice((1_000, 10_000, 60_000, 200_000))),
                campaign=campaign,
                source=campaign.source,
                status=LeadStatus.WORKING,
                owner=rep,
                captured_by=marketer,
                last_touch_at=captured,
                last_activity_at=handed,
                captured_at=captured,
                handed_off_at=handed,
                accepted_at=handed,
            )
        )
        chance = planted_good_chance(good_campaign=campaign == campaigns[0], free_mail=free, title=title)
        plans.append((rng.random() < chance, handed + timedelta(days=1)))
    leads = Lead.objects.bulk_create(leads)  # the ids come back (RETURNING), the sequence moves on
    LeadScore.objects.bulk_create(LeadScore(lead=lead) for lead in leads)  # as capture writes them
    Touch.objects.bulk_create(
        Touch(lead=lead, campaign=lead.campaign, channel=CaptureChannel.FORM, by=marketer, at=lead.captured_at)
        for lead in leads
    )
    if verdicts:
        Verdict.objects.bulk_create(
            Verdict(lead=lead, rep=rep, verdict="good" if good else "bad", created_at=at, current=True)
            for lead, (good, at) in list(zip(leads, plans, strict=True))[:count]
        )
    return leads
