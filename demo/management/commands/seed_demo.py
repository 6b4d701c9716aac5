"""`manage.py seed_demo [--force]`: a demo team, campaigns, routing rules and a few hundred leads.

Every lead is moved through the same services the app uses (capture, handoff, accept, reject,
activity, verdict, qualify, win, lose, recycle, feedback), so timelines, handoffs, feedback items
and the waterfall dates are real. Services stamp "now"; afterwards the seed moves each lead's story
to the days it pretends it happened, spread over the last six months, keeping its order.

Idempotent: users, campaigns and rules are created when missing, and the leads only when the demo
campaigns have none yet. Refuses to run with DEBUG off unless `--force`: it creates users with a
known password.
"""

import math
import os
import random
import unicodedata
from bisect import bisect_right
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from alignment.days import company_today
from alignment.models import Notification, Role, Team, Territory, User, Vertical
from dashboard.models import GoalPeriod, RevenueGoal
from dashboard.periods import quarter_bounds
from dashboard.services import revenue_goal_set
from demo.generate import response_log_odds
from demo.people import demo_refuse_without_debug, demo_user
from feedback import services as feedback_services
from feedback.models import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackStatus, Verdict
from feedback.rollup import figures_rebuild
from feedback.services import feedback_overdue_remind
from leads.cold import cold_leads_sweep
from leads.models import Campaign, Handoff, Lead, LeadEvent, ReasonCode, RoutingRule, Source, Touch
from planning.demo import pain_themes_for, planning_demo_seed
from scoring.services import scoring_train

SEED = 20240601
LEAD_COUNT = 320

# username: (role, first name, last name, territories, verticals)
TEAM = {
    "marketer": (Role.MARKETER, "Mia", "Marketing", [], []),
    "marketer2": (Role.MARKETER, "Max", "Demand", [], []),
    "rep": (Role.REP, "Ravi", "Sales", ["DE", "AT", "CH"], ["Software", "Manufacturing"]),
    "rep2": (Role.REP, "Rosa", "Sales", ["US", "GB", "DE/Bavaria"], ["Finance", "Retail", "Software"]),
    "manager": (Role.MANAGER, "Martha", "Lead", [], []),
}

# The two teams and their members: a marketer and a rep each.
TEAMS = {"North": ["marketer", "rep"], "South": ["marketer2", "rep2"]}
# How many of each person's newest notifications the demo leaves unread.
UNREAD_KEPT = 5

# name: (source, cost, owner)
# The verdicts' planted pattern, in log-odds (see _verdict).
DEMO_GOOD_CAMPAIGNS = ("Spring webinar series", "Partner referrals")
DEMO_TITLE_EFFECT = {"CEO": 0.9, "CTO": 0.7, "CFO": 0.7, "VP Sales": 0.8, "Student": -1.8}

CAMPAIGNS = {
    "Spring webinar series": (Source.WEBINAR, Decimal("4500.00"), "marketer"),
    "Google Ads – Q3": (Source.PAID_SEARCH, Decimal("12000.00"), "marketer"),
    "Trade fair Hannover": (Source.EVENT, Decimal("25000.00"), "marketer2"),
    "Monthly newsletter": (Source.EMAIL, Decimal("800.00"), "marketer2"),
    "Partner referrals": (Source.PARTNER, None, "marketer"),
    "LinkedIn ABM": (Source.SOCIAL, Decimal("9000.00"), "marketer2"),
}

# name: (priority, country, region, vertical, reps)
RULES = {
    "Bavaria": (10, "DE", "Bavaria", None, ["rep2"]),
    "Germany": (20, "DE", "", None, ["rep"]),
    "Austria and Switzerland": (30, "AT", "", None, ["rep"]),
    "Switzerland": (31, "CH", "", None, ["rep"]),
    "United States": (40, "US", "", None, ["rep2"]),
    "United Kingdom": (50, "GB", "", None, ["rep2"]),
    "Software anywhere": (90, "", "", "Software", ["rep", "rep2"]),
}

VERTICALS = ["Software", "Manufacturing", "Finance", "Retail", "Health", "Logistics"]
# Leads from these countries always match a rule with a rep; the others wait in the managers' queue.
ROUTED_COUNTRIES = ["DE", "DE", "DE", "AT", "CH", "US", "US", "GB"]
COUNTRIES = [*ROUTED_COUNTRIES, "FR", "NL", "BR"]
REGIONS = {"DE": ["Bavaria", "Berlin", "Hamburg", ""], "US": ["California", "New York", ""], "GB": ["London", ""]}
FIRST = ["Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Lukas", "Mara"]
FIRST += ["Nils", "Olga", "Paul", "Quentin", "Rita", "Sven", "Tara", "Uwe", "Vera", "Wim", "Yara", "Zoe"]
LAST = ["Bauer", "Carter", "Dubois", "Engel", "Fischer", "Garcia", "Hansen", "Ivanova", "Jäger", "Klein"]
LAST += ["Larsen", "Meyer", "Novak", "Okafor", "Peters", "Rossi", "Schmidt", "Tanaka", "Vogel", "Weber"]
COMPANY_A = ["Nordic", "Alpine", "Blue", "Bright", "Delta", "Iron", "Lumen", "Pioneer", "Quantum", "Silver"]
COMPANY_B = ["Systems", "Logistics", "Foods", "Analytics", "Robotics", "Health", "Bank", "Retail", "Labs", "Works"]
TITLES = ["CTO", "Head of IT", "Procurement Manager", "CFO", "Operations Lead", "VP Sales", "Student", "CEO"]
PAIN_POINTS = [
    "Month-end reporting takes a week of spreadsheets.",
    "Their current vendor's support is slow.",
    "Data is spread over three systems nobody trusts.",
    "They lose deals because quotes take too long.",
    "Compliance audits are manual and painful.",
    "No visibility into the warehouse stock.",
]
HANDOFF_NOTES = [
    "Downloaded the pricing guide twice and attended the webinar to the end.",
    "Met at our booth; asked for a demo for their team of 40.",
    "Came in through a partner; budget approved for this quarter.",
    "Opened the last three newsletters and clicked the case study.",
    "Filled in the contact form asking about an integration with their ERP.",
]

# The share of the demo leads that ends in each status, and how far back their stories start (days).
PLAN = [
    ("new", 40, (0, 20)),
    ("handed_off", 30, (0, 4)),
    ("queue", 6, (0, 6)),
    ("accepted", 25, (1, 15)),
    ("working", 45, (2, 40)),
    ("qualified", 35, (10, 90)),
    ("won", 50, (15, 180)),
    ("lost", 35, (15, 180)),
    ("rejected", 30, (3, 180)),
    ("nurture", 24, (20, 180)),
]


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


class Story:
    """Where each step of one lead's story really ran, and when it pretends to have happened."""

    def __init__(self, start, gaps_hours, now):
        offsets = [0.0]
        for gap in gaps_hours:
            offsets.append(offsets[-1] + gap)
        room = (now - timedelta(hours=1) - start).total_seconds() / 3600
        scale = min(1.0, room / offsets[-1]) if offsets[-1] > 0 else 1.0
        self.times = [start + timedelta(hours=offset * scale) for offset in offsets]
        self.marks = []  # (real time, pretended time), in order

    def step(self):
        """Call before each service call: the next pretended moment begins now."""
        self.marks.append((timezone.now(), self.times[len(self.marks)]))

    def remap(self, moment):
        if moment is None or not self.marks:
            return moment
        index = max(0, bisect_right([real for real, _ in self.marks], moment) - 1)
        real, pretended = self.marks[index]
        return pretended + (moment - real)


class Command(BaseCommand):
    help = "Create the demo team (password DEMO_PASSWORD or 'demo'), campaigns, rules and a few hundred leads."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force=False, **options):
        demo_refuse_without_debug("seed_demo", force=force)
        password = os.environ.get("DEMO_PASSWORD") or "demo"
        with transaction.atomic():
            users = self._team(password)
            self._teams(users)
            campaigns = self._campaigns(users)
            self._rules(users)
            if Lead.objects.filter(campaign__in=campaigns.values()).exists():
                self._goal(users)
                self.stdout.write("Demo leads exist already: nothing to add.")
                return
            count = self._leads(users, campaigns)
            # Leads that sat untouched in the made-up history are cold right away, as the sweep
            # would find them; its reminders are part of the demo, not mail to send.
            swept = cold_leads_sweep()
            Notification.objects.filter(id__in=swept.notification_ids).update(email_sent_at=timezone.now())
            # Likewise the feedback that has waited too long in that history: reminded now, not by the
            # beat's first sweep after the first login (a hundred reminders on the marketers' bells).
            last_id = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
            feedback_overdue_remind()
            Notification.objects.filter(id__gt=last_id).update(email_sent_at=timezone.now())
            planning_demo_seed(users=users)
            self._notifications_read(users)
            self._goal(users)
        # The demo's lead scores, learned from its verdicts (the nightly training does it after this).
        model = scoring_train()
        if model is not None:
            self.stdout.write(f"Lead score v{model.version} trained on {model.verdicts} verdicts.")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {count} leads. Log in as {', '.join(TEAM)}."))

    # --- people, campaigns, rules -------------------------------------------------------------

    def _team(self, password):
        users = {}
        for username, (role, first, last, territories, verticals) in TEAM.items():
            user, created = demo_user(
                username, role=role, first_name=first, last_name=last, is_superuser=role == Role.MANAGER
            )
            if created:
                user.set_password(password)
                user.save()
                for spec in territories:
                    country, _, region = spec.partition("/")
                    user.territories.add(Territory.objects.get_or_create(country=country, region=region)[0])
                for name in verticals:
                    user.verticals.add(Vertical.objects.get_or_create(name=name)[0])
                self.stdout.write(f"Created {username} ({user.get_role_display()}).")
            users[username] = user
        for name in VERTICALS:
            Vertical.objects.get_or_create(name=name)
        return users

    def _teams(self, users):
        """Two teams, each with a marketer and a rep, so the dashboard's Team filter has something to
        tell apart. Members someone already put in a team stay there."""
        for name, members in TEAMS.items():
            team, _ = Team.objects.get_or_create(name=name)
            User.objects.filter(username__in=members, team__isnull=True).update(team=team)

    def _campaigns(self, users):
        campaigns = {}
        for name, (source, cost, owner) in CAMPAIGNS.items():
            campaigns[name], _ = Campaign.objects.get_or_create(
                name=name, defaults={"source": source, "cost": cost, "owner": users[owner]}
            )
        return campaigns

    def _rules(self, users):
        for name, (priority, country, region, vertical, reps) in RULES.items():
            rule, created = RoutingRule.objects.get_or_create(
                name=name,
                defaults={
                    "priority": priority,
                    "country": country,
                    "region": region,
                    "vertical": Vertical.objects.get(name=vertical) if vertical else None,
                },
            )
            if created:
                rule.reps.set([users[r] for r in reps])

    def _notifications_read(self, users):
        """The made-up history arrives read: a first login shows the few newest of each person's
        notifications as new, not two hundred."""
        for user in users.values():
            mine = Notification.objects.filter(recipient=user, read=False).order_by("-created_at", "-id")
            newest = list(mine.values_list("id", flat=True)[:UNREAD_KEPT])
            mine.exclude(id__in=newest).update(read=True)

    def _goal(self, users):
        """A goal for this quarter, a little above what the demo has won in it, so the goal line has a
        target the team is chasing; and each team's half of it, so the Team filter has its own."""
        start, end = quarter_bounds(company_today())
        goals = RevenueGoal.objects.filter(period=GoalPeriod.QUARTER, starts_on=start, current=True)
        if not goals.filter(team=None).exists():
            won = Lead.objects.filter(won_at__date__gte=start, won_at__date__lte=end).aggregate(total=Sum("won_amount"))
            amount = max(Decimal("50000"), ((won["total"] or 0) * Decimal("1.6")).quantize(Decimal("1E4")))
            revenue_goal_set(
                period=GoalPeriod.QUARTER, starts_on=start, amount=amount, by=users["manager"], note="Demo goal."
            )
        company = goals.get(team=None).amount
        for team in Team.objects.filter(name__in=TEAMS).exclude(pk__in=goals.exclude(team=None).values("team_id")):
            revenue_goal_set(
                period=GoalPeriod.QUARTER,
                starts_on=start,
                amount=(company / len(TEAMS)).quantize(Decimal("1E3")),
                by=users["manager"],
                team=team,
                note="Demo goal: half the company's.",
            )

    # --- leads --------------------------------------------------------------------------------

    def _leads(self, users, campaigns):
        from leads import capture, services

        rng = random.Random(SEED)
        now = timezone.now()
        reasons = list(ReasonCode.objects.filter(active=True))
        stories = {}
        campaign_list = list(campaigns.values())
        plan = [status for status, count, _ in PLAN for _ in range(count)]
        starts = {status: span for status, _, span in PLAN}
        rng.shuffle(plan)
        # Made oldest first, so ids follow the pretended days: the lists that show the newest lead
        # first (by id, as their indexes do) show the demo in the order it pretends to have happened.
        timeline = sorted(
            (now - timedelta(days=rng.uniform(*starts[target]), hours=rng.uniform(0, 8)), target) for target in plan
        )
        for i, (start, target) in enumerate(timeline):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}"
            country = "BR" if target == "queue" else rng.choice(ROUTED_COUNTRIES)
            if target == "new":
                country = rng.choice(COUNTRIES)
            industry = "Health" if target == "queue" else rng.choice(VERTICALS)
            campaign = rng.choice(campaign_list)
            marketer = campaign.owner
            gaps = [
                rng.uniform(2, 40),  # capture → handoff
                0.02 + 30 * rng.random() ** 3,  # → accept or reject: mostly soon, sometimes past the SLA
                rng.uniform(3, 96),  # → first activity
                rng.uniform(2, 10) * 24,  # → verdict / qualify
                rng.uniform(5, 40) * 24,  # → won / lost
                rng.uniform(1, 5) * 24,  # → recycle
                rng.uniform(1, 5) * 24,
            ]
            story = Story(start, gaps, now)
            domain = "gmail.com" if rng.random() < 0.25 else f"{company.replace(' ', '-')}.example"
            data = {
                "email": _ascii(f"{first}.{last}{i}@{domain}").lower(),
                "name": f"{first} {last}",
                "company": company,
                "title": rng.choice(TITLES),
                "country": country,
                "region": rng.choice(REGIONS.get(country, [""])),
                "industry": industry,
                "estimated_value": rng.choice([5000, 12000, 25000, 40000, 80000, None]),
                "notes": rng.choice(HANDOFF_NOTES) if rng.random() < 0.4 else "",
            }
            story.step()
            lead, _ = capture.lead_capture(data=data, campaign=campaign, by=marketer)
            stories[lead.pk] = story
            if target == "new":
                continue
            story.step()
            handoff = services.lead_hand_off(lead=lead, note=rng.choice(HANDOFF_NOTES), by=marketer)
            rep = handoff.to_rep
            if target == "queue" or rep is None:
                continue
            if target == "handed_off":
                continue
            if target in ("rejected", "nurture"):
                story.step()
                reason = rng.choice(reasons)
                feedback_services.lead_reject_with_feedback(
                    lead=lead, by=rep, reason=reason, note="Not a fit for us right now."
                )
                if target == "nurture":
                    item = FeedbackItem.objects.filter(lead=lead, status=FeedbackStatus.OPEN).first()
                    story.step()
                    if item is not None:
                        feedback_services.feedback_resolve(
                            item=item,
                            by=marketer,
                            resolution="recycled",
                            reason="Back to nurture: the newsletter track until they are ready.",
                            reengage_after=timezone.localdate() + timedelta(days=rng.randint(14, 90)),
                        )
                    else:
                        services.lead_recycle(lead=lead, by=marketer, reason="Back to the newsletter track.")
                continue
            story.step()
            services.lead_accept(lead=lead, by=rep)
            if target == "accepted":
                if rng.random() < 0.3:
                    story.step()
                    feedback_services.feedback_request(lead=lead, by=marketer, note="How did the first call go?")
                continue
            story.step()
            services.lead_log_activity(lead=lead, by=rep, kind=rng.choice(["call", "email", "meeting"]), note="")
            if rng.random() < 0.6:
                story.step()
                self._verdict(feedback_services, lead, rep, marketer, rng, reasons, gaps[1])
            if target == "working":
                continue
            if target == "lost":
                story.step()
                feedback_services.lead_lose_with_feedback(lead=lead, by=rep, reason=rng.choice(reasons), note="")
                continue
            story.step()
            services.lead_qualify(lead=lead, by=rep)
            if target == "won":
                story.step()
                feedback_services.lead_win_with_feedback(
                    lead=lead, by=rep, amount=rng.choice([8000, 15000, 24000, 36000, 60000, 120000])
                )
        self._remap(stories)
        return len(plan)

    def _verdict(self, feedback_services, lead, rep, marketer, rng, reasons, response_hours=1.0):
        # The demo's reps judge by a pattern the lead score can find: the two best campaigns,
        # company email and senior titles make a good verdict likelier, free mail and students rarer;
        # and the sooner the rep answered, the likelier the lead is good (the dashboard's curve).
        z = 0.6 + (1.0 if lead.campaign.name in DEMO_GOOD_CAMPAIGNS else 0.0)
        z += -1.3 if lead.email.endswith("@gmail.com") else 0.3
        z += DEMO_TITLE_EFFECT.get(lead.title, 0.0)
        z += response_log_odds(timedelta(hours=response_hours))
        good = rng.random() < 1 / (1 + math.exp(-z))
        verdict = feedback_services.verdict_give(
            lead=lead,
            by=rep,
            verdict="good" if good else "bad",
            reason=None if good else rng.choice(reasons),
            note="Clear need and a budget." if good else "Not the right contact.",
            pain_points=(pain := rng.choice(PAIN_POINTS)),
            pain_themes=pain_themes_for(pain),
        )
        if not good and rng.random() < 0.5:
            item = FeedbackItem.objects.filter(verdict=verdict, kind=FeedbackKind.BAD_VERDICT).first()
            if item is not None:
                feedback_services.feedback_reply(
                    item=item, by=marketer, body="Thanks — who would be the right person to talk to?"
                )

    def _remap(self, stories):
        """Move every timestamp of each demo lead's story from when the seed ran to its pretended day."""

        ids = list(stories)

        def shift(model, queryset, fields, lead_field="lead_id"):
            rows = list(queryset.only("pk", lead_field, *fields))
            for row in rows:
                story = stories[getattr(row, lead_field)]
                for name in fields:
                    setattr(row, name, story.remap(getattr(row, name)))
            model.objects.bulk_update(rows, fields, batch_size=500)

        # A wait for the first verdict spans two moments of the story: it is the span between them
        # as they are moved, not as they ran.
        waits = list(
            Lead.objects.filter(pk__in=ids, verdict_wait__isnull=False).only("pk", "handed_off_at", "verdict_wait")
        )
        for lead in waits:
            story = stories[lead.pk]
            lead.verdict_wait = story.remap(lead.handed_off_at + lead.verdict_wait) - story.remap(lead.handed_off_at)
        Lead.objects.bulk_update(waits, ["verdict_wait"], batch_size=500)
        lead_fields = ["captured_at", "last_touch_at", "last_activity_at", "handed_off_at", "accepted_at"]
        lead_fields += ["qualified_at", "won_at", "lost_at", "verdict_at"]
        shift(Lead, Lead.objects.filter(pk__in=ids), lead_fields, lead_field="pk")
        shift(Touch, Touch.objects.filter(lead_id__in=ids), ["at"])
        shift(LeadEvent, LeadEvent.objects.filter(lead_id__in=ids), ["at"])
        handoffs = list(Handoff.objects.filter(lead_id__in=ids).only("pk", "lead_id", "created_at", "sla_due_at"))
        for handoff in handoffs:
            moved = stories[handoff.lead_id].remap(handoff.created_at)
            handoff.sla_due_at = moved + (handoff.sla_due_at - handoff.created_at)
            handoff.created_at = moved
        Handoff.objects.bulk_update(handoffs, ["created_at", "sla_due_at"], batch_size=500)
        shift(Handoff, Handoff.objects.filter(lead_id__in=ids, ended_at__isnull=False), ["ended_at"])
        shift(Verdict, Verdict.objects.filter(lead_id__in=ids), ["created_at"])
        shift(
            FeedbackItem, FeedbackItem.objects.filter(lead_id__in=ids), ["created_at", "resolved_at", "last_reply_at"]
        )
        shift(Notification, Notification.objects.filter(lead_id__in=ids), ["created_at"])
        # Made-up history is not mailed: the email tasks enqueued on commit find them sent.
        Notification.objects.filter(lead_id__in=ids).update(email_sent_at=F("created_at"))
        replies = list(
            FeedbackReply.objects.filter(item__lead_id__in=ids).values_list("pk", "item__lead_id", "created_at")
        )
        moved = [
            FeedbackReply(pk=pk, created_at=stories[lead_id].remap(created_at)) for pk, lead_id, created_at in replies
        ]
        FeedbackReply.objects.bulk_update(moved, ["created_at"], batch_size=500)
        # The stories were played through the services today and moved back in time above: roll the
        # dashboard's figures up again on the days the leads now carry.
        figures_rebuild()
