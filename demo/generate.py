"""Made-up lead stories for `manage.py generate_leads`, as rows ready for bulk loading.

Each lead gets one story: captured, then (maybe) handed off, accepted or rejected, worked,
qualified, won or lost, recycled to nurture; its waterfall dates follow the story in order and never
pass "now", and its handoff, timeline events, touches, verdict (with the lead's wait for it) and
feedback items tell the same story.

On PostgreSQL the stories are written set-based, in SQL (`demo.generate_sql.lead_stories_insert`):
a million leads in Python would take minutes. Elsewhere (SQLite, the development default and the
tests) `lead_stories` makes them as tuples in the column order of `COLUMNS`, for `bulk_create`.
Both follow the same rules with the same weights; the tests run the same checks on both.
"""

import math
import random
from datetime import timedelta

from feedback.models import FeedbackKind, FeedbackStatus, Resolution
from leads.models import CaptureChannel, EventKind, HandoffOutcome, LeadStatus, VerdictValue

S = LeadStatus
HOUR = 3600.0
DAY = 24 * HOUR

COLUMNS = {
    "leads_lead": (
        "id", "email", "name", "company", "title", "phone", "country", "region", "industry_id",
        "estimated_value", "campaign_id", "source", "notes", "pain_points", "status", "owner_id",
        "captured_by_id", "touch_count", "last_touch_at", "last_activity_at", "captured_at",
        "handed_off_at", "accepted_at", "qualified_at", "won_at", "lost_at", "won_amount",
        "lost_reason_id", "verdict", "verdict_at", "recycle_count", "recycle_reason", "reengage_after",
        "snoozed_until", "snooze_reason", "updated_at", "verdict_wait",
    ),
    "feedback_verdict": (
        "id", "lead_id", "rep_id", "verdict", "reason_id", "note", "pain_points", "current", "created_at",
    ),
    "leads_handoff": (
        "lead_id", "by_id", "to_rep_id", "note", "created_at", "sla_due_at", "outcome", "ended_at",
        "reject_reason_id", "outcome_note", "routing_rule_id", "routing_turn", "routing_reason",
    ),
    "leads_leadevent": ("lead_id", "kind", "from_status", "to_status", "actor_id", "note", "at"),
    "leads_touch": ("lead_id", "campaign_id", "channel", "by_id", "at"),
    "feedback_feedbackitem": (
        "lead_id", "kind", "assignee_id", "marketer_id", "rep_id", "opened_by_id", "verdict_id", "reason_id",
        "note", "status", "resolution", "resolution_note", "resolved_by_id", "resolved_at", "created_at",
        "last_reply_at", "overdue_reminded_at",
    ),
}  # fmt: skip

FIRST = [
    "Ada",
    "Alan",
    "Anna",
    "Ben",
    "Carla",
    "Chen",
    "David",
    "Elena",
    "Emma",
    "Farid",
    "Grace",
    "Hana",
    "Ivan",
    "Jonas",
    "Julia",
    "Kai",
    "Lara",
    "Leon",
    "Lina",
    "Marco",
    "Maria",
    "Mei",
    "Nadia",
    "Noah",
    "Olga",
    "Omar",
    "Paula",
    "Priya",
    "Rafael",
    "Sara",
    "Sofia",
    "Tariq",
    "Tom",
    "Uma",
    "Vera",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Abbott",
    "Becker",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hoffmann",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Wagner",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
]
COMPANY_A = [
    "Nordwind",
    "Blue",
    "Summit",
    "Alpen",
    "Harbor",
    "Iron",
    "Silver",
    "Pioneer",
    "Quantum",
    "Cedar",
    "Atlas",
    "Orbit",
    "Delta",
    "Polar",
]
COMPANY_B = [
    "Logistics",
    "Software",
    "Foods",
    "Robotics",
    "Analytics",
    "Energy",
    "Textiles",
    "Pharma",
    "Media",
    "Capital",
    "Systems",
]
COMPANY_C = ("GmbH", "AG", "Ltd", "Inc", "SA", "BV", "")
PLACES = (("DE", "Bavaria"), ("DE", "Berlin"), ("AT", ""), ("CH", ""), ("US", "California"), ("GB", ""), ("FR", ""))
TITLES = ("Head of Operations", "CTO", "IT Manager", "Procurement Lead", "CFO", "Marketing Director", "")
STORIES = (
    "Downloaded the pricing guide twice; asked for a call.",
    "Met at the trade fair; budget approved for this quarter.",
    "Came from the webinar with three colleagues; wants a demo.",
    "Replaced a competitor last year and is unhappy with it.",
)
PAINS = ("Spreadsheets everywhere", "No visibility into the pipeline", "Manual reporting", "Slow onboarding")
ACTIVITIES = (
    (EventKind.CALL, "Discovery call."),
    (EventKind.EMAIL, "Sent the proposal."),
    (EventKind.MEETING, "Demo."),
)
CHANNELS = (CaptureChannel.FORM, CaptureChannel.IMPORT, CaptureChannel.API, CaptureChannel.WEB_FORM)
RESOLUTIONS = (Resolution.FIXED_DATA, Resolution.CAMPAIGN_CHANGED, Resolution.DISPUTED)

# Where stories end: recent leads are still early in the funnel more often than old ones.
ENDS = (S.NEW, S.HANDED_OFF, S.REJECTED, S.NURTURE, S.ACCEPTED, S.WORKING, S.QUALIFIED, S.WON, S.LOST)
RECENT_WEIGHTS = (30, 25, 8, 2, 12, 15, 5, 1, 2)
OLD_WEIGHTS = (12, 3, 9, 6, 3, 10, 7, 22, 28)
RECENT_DAYS = 45
RECYCLE_REASON = "Timing: revisit next quarter."
ACCEPTED_ON = {S.ACCEPTED, S.WORKING, S.QUALIFIED, S.WON, S.LOST}
VERDICT_ON = ACCEPTED_ON

# The effects planted in the reps' verdicts, for the lead score to find: a verdict is good with chance
# logistic(base + the lead's effects + the rep's response time + a win's), in log-odds. Sized so a
# reading at handoff has something to find (the bench's ceiling: a Brier skill about 0.15) and a
# sales team would recognise each: about two verdicts in three are good.
PLANTED_BASE = 0.3
FREE_MAIL_SHARE = 0.25
FREE_MAIL_DOMAIN = "gmail.com"
PLANTED_FREE_MAIL = -1.5  # a free-mail address instead of a company's: odds × 0.22
PLANTED_GOOD_CAMPAIGNS = 2  # the team's first two campaigns …
PLANTED_GOOD_CAMPAIGN = 1.3  # … are much better than the rest: odds × 3.7
PLANTED_PAIR = (0, "FR")  # the first vertical in France: reps dislike the pair
PLANTED_PAIR_EFFECT = -1.8
# By title, in TITLES' order: C-level highest, then head and director, nothing for managers and
# leads, below for no title.
PLANTED_TITLE = (0.5, 1.0, 0.0, 0.0, 1.0, 0.5, -0.8)
# A lead that is later won was likelier judged good, not always: the verdict comes days after the
# handoff, weeks before the win, and reps misjudge some. Not known at handoff either.
PLANTED_WON = 2.0


# The time the rep took to answer moves the verdict too, in log-odds beside the planted effects (the
# decay the dashboard's speed-to-lead curve shows): within 5 minutes, the hour, the day, later. It
# is not known at handoff, so the lead score neither reads it nor can find it.
RESPONSE_LOG_ODDS = ((300, 0.7), (3600, 0.1), (86400, -0.5), (None, -1.1))


def response_log_odds(wait) -> float:
    seconds = wait.total_seconds()
    return next(effect for limit, effect in RESPONSE_LOG_ODDS if limit is None or seconds <= limit)


def planted_log_odds(*, campaign_index, free_mail, vertical_index, country, title_index) -> float:
    z = PLANTED_BASE + (PLANTED_FREE_MAIL if free_mail else 0.0) + PLANTED_TITLE[title_index]
    if campaign_index < PLANTED_GOOD_CAMPAIGNS:
        z += PLANTED_GOOD_CAMPAIGN
    if (vertical_index, country) == PLANTED_PAIR:
        z += PLANTED_PAIR_EFFECT
    return z


class Team:
    """Who the generated stories are about: ids only."""

    def __init__(self, *, manager, marketers, reps, campaigns, reasons, verticals, names):
        self.manager = manager
        self.marketers = marketers
        self.reps = reps
        self.campaigns = campaigns  # [(id, source, name, marketer id)]
        self.reasons = reasons
        self.verticals = verticals
        self.names = names  # user id → display name


def lead_stories(*, team: Team, first_id: int, count: int, start, end, now, rng: random.Random):
    """Rows for `count` leads with ids from `first_id`, captured evenly (in id order) between `start`
    and `end`, their stories stopping at `now`: {table: [row, ...]}. Verdict rows come without their
    id, and a feedback item's verdict is -(its index + 1) among them: the loader numbers them."""
    rows = {table: [] for table in COLUMNS}
    leads, verdicts, handoffs = rows["leads_lead"], rows["feedback_verdict"], rows["leads_handoff"]
    events, touches, items = rows["leads_leadevent"], rows["leads_touch"], rows["feedback_feedbackitem"]
    span = (end - start).total_seconds()
    recent = now - timedelta(days=RECENT_DAYS)
    rand, choice = rng.random, rng.choice
    ends_recent = rng.choices(ENDS, RECENT_WEIGHTS, k=count)
    ends_old = rng.choices(ENDS, OLD_WEIGHTS, k=count)
    sec = timedelta(seconds=1)

    def later(at, low, high, draw=None):
        step = at + (low + (high - low) * (rand() if draw is None else draw)) * sec
        return step if step < now else now

    def transition(lead_id, from_status, to_status, actor, at, note=""):
        events.append((lead_id, EventKind.TRANSITION, from_status, to_status, actor, note, at))

    for n in range(count):
        lead_id = first_id + n
        captured = start + (span * (n + rand()) / count) * sec
        if captured > now:
            captured = now
        status = ends_recent[n] if captured > recent else ends_old[n]
        campaign_index = rng.randrange(len(team.campaigns))
        campaign_id, source, campaign_name, marketer = team.campaigns[campaign_index]
        first, last = choice(FIRST), choice(LAST)
        company = f"{choice(COMPANY_A)} {choice(COMPANY_B)} {choice(COMPANY_C)}".rstrip()
        country, region = choice(PLACES)
        title_index, vertical_index = rng.randrange(len(TITLES)), rng.randrange(len(team.verticals))
        free_mail = rand() < FREE_MAIL_SHARE
        channel = choice(CHANNELS)
        by = None if channel == CaptureChannel.WEB_FORM else marketer
        events.append(
            (lead_id, EventKind.CAPTURED, "", S.NEW, by, f"Captured via {channel.label} ({campaign_name}).", captured)
        )
        touches.append((lead_id, campaign_id, channel, by, captured))
        touch_count, last_touch, last_activity = 1, captured, captured
        if rand() < 0.08:
            touch_count, last_touch = 2, later(captured, HOUR, 20 * DAY)
            touches.append((lead_id, campaign_id, CaptureChannel.WEB_FORM, None, last_touch))
            events.append((lead_id, EventKind.TOUCH, "", "", None, "Captured again via Public web form.", last_touch))
        handed = accepted = qualified = won = lost = lost_reason = won_amount = None
        owner = rep = None
        verdict = ""
        verdict_at = None
        recycle_count, recycle_reason, reengage_after = 0, "", None

        if status != S.NEW:
            handed = later(captured, 0.5 * HOUR, 4 * DAY)
            queued = status == S.HANDED_OFF and rand() < 0.05
            rep = None if queued else choice(team.reps)
            story = choice(STORIES)
            to_whom = team.names[rep] if rep else "the managers' queue"
            reason = (
                "No routing rule matched: the managers' queue."
                if queued
                else f"Chosen by hand by {team.names[marketer]}."
            )
            outcome, ended, reject_reason, outcome_note = HandoffOutcome.OPEN, None, None, ""
            transition(lead_id, S.NEW, S.HANDED_OFF, marketer, handed, f"Handed off to {to_whom}: {story}")
            last_activity, owner = handed, rep
            if status in ACCEPTED_ON:
                # Most reps answer within the hour, some within minutes, a few the next day
                # (cubed: skewed early); the sooner, the likelier the lead is judged good.
                accepted = later(handed, 60, 30 * HOUR, rand() ** 3)
                outcome, ended = HandoffOutcome.ACCEPTED, accepted
                transition(lead_id, S.HANDED_OFF, S.ACCEPTED, rep, accepted)
                last_activity = accepted
                if status != S.ACCEPTED:
                    worked = later(accepted, HOUR, 3 * DAY)
                    kind, note = choice(ACTIVITIES)
                    transition(lead_id, S.ACCEPTED, S.WORKING, rep, worked)
                    events.append((lead_id, kind, "", "", rep, note, worked))
                    last_activity = worked
                    if status in (S.QUALIFIED, S.WON):
                        qualified = later(worked, DAY, 20 * DAY)
                        transition(lead_id, S.WORKING, S.QUALIFIED, rep, qualified)
                        last_activity = qualified
                    if status == S.WON:
                        won = later(qualified, 3 * DAY, 40 * DAY)
                        won_amount = rng.randrange(2_000, 120_000, 500)
                        transition(lead_id, S.QUALIFIED, S.WON, rep, won, f"Won: {won_amount:,.2f}")
                        last_activity = won
                        items.append(_item(lead_id, FeedbackKind.WON, marketer, rep, None, None, won, won_amount))
                    elif status == S.LOST:
                        lost = later(worked, 2 * DAY, 30 * DAY)
                        lost_reason = choice(team.reasons)
                        transition(lead_id, S.WORKING, S.LOST, rep, lost, "Lost.")
                        last_activity = lost
                        items.append(
                            _open_or_resolved(
                                rng, lead_id, FeedbackKind.LOST, marketer, rep, None, lost_reason, lost, now
                            )
                        )
            elif status in (S.REJECTED, S.NURTURE):
                rejected = later(handed, 0.5 * HOUR, 30 * HOUR)
                reject_reason = choice(team.reasons)
                outcome, ended, owner = HandoffOutcome.REJECTED, rejected, None
                transition(lead_id, S.HANDED_OFF, S.REJECTED, rep, rejected, "Rejected.")
                last_activity = rejected
                if status == S.NURTURE:
                    recycled = later(rejected, DAY, 10 * DAY)
                    recycle_count, recycle_reason = 1, RECYCLE_REASON
                    reengage_after = (recycled + timedelta(days=90)).date()
                    transition(lead_id, S.REJECTED, S.NURTURE, marketer, recycled, f"Recycled: {recycle_reason}")
                    last_activity = recycled
                    items.append(
                        _item(lead_id, FeedbackKind.REJECTED, marketer, rep, None, reject_reason, rejected, None,
                              resolution=Resolution.RECYCLED, resolved_at=recycled)
                    )  # fmt: skip
                else:
                    items.append(
                        _open_or_resolved(
                            rng, lead_id, FeedbackKind.REJECTED, marketer, rep, None, reject_reason, rejected, now
                        )
                    )
            handoffs.append(
                (lead_id, marketer, rep, story, handed, handed + timedelta(hours=24), outcome, ended, reject_reason,
                 outcome_note, None, None, reason)
            )  # fmt: skip
            if status in VERDICT_ON and rand() < 0.6:
                z = planted_log_odds(
                    campaign_index=campaign_index,
                    free_mail=free_mail,
                    vertical_index=vertical_index,
                    country=country,
                    title_index=title_index,
                ) + response_log_odds(accepted - handed)
                if status == S.WON:
                    z += PLANTED_WON
                good = rand() < 1 / (1 + math.exp(-z))
                verdict = VerdictValue.GOOD if good else VerdictValue.BAD
                verdict_at = later(accepted, HOUR, 5 * DAY)
                bad_reason = choice(team.reasons) if verdict == VerdictValue.BAD else None
                verdicts.append((lead_id, rep, verdict, bad_reason, "", choice(PAINS), True, verdict_at))
                events.append((lead_id, EventKind.VERDICT, "", "", rep, f"Judged {verdict}.", verdict_at))
                ref = -len(verdicts)
                if verdict == VerdictValue.BAD:
                    bad = _open_or_resolved(
                        rng, lead_id, FeedbackKind.BAD_VERDICT, marketer, rep, ref, bad_reason, verdict_at, now
                    )
                    items.append(bad)
                else:
                    items.append(_item(lead_id, FeedbackKind.GOOD_VERDICT, marketer, rep, ref, None, verdict_at, None))
        domain = FREE_MAIL_DOMAIN if free_mail else f"{company.split()[0]}-{company.split()[1]}.example"
        leads.append(
            (lead_id, f"{first}.{last}.{lead_id}@{domain}".lower(),
             f"{first} {last}", company, TITLES[title_index], "", country, region, team.verticals[vertical_index],
             rng.randrange(1_000, 150_000, 100), campaign_id, source, "", "", status, owner, marketer,
             touch_count, last_touch, last_activity, captured, handed, accepted, qualified, won, lost, won_amount,
             lost_reason, verdict, verdict_at, recycle_count, recycle_reason, reengage_after, None, "", last_activity,
             verdict_at - handed if verdict else None)
        )  # fmt: skip
    return rows


def _item(lead_id, kind, marketer, rep, verdict_ref, reason, at, amount, *, resolution="", resolved_at=None):
    good_news = kind in (FeedbackKind.WON, FeedbackKind.GOOD_VERDICT)
    status = FeedbackStatus.INFO if good_news else (FeedbackStatus.RESOLVED if resolution else FeedbackStatus.OPEN)
    note = f"Won: {amount:,.2f}" if kind == FeedbackKind.WON else ""
    resolved_by = marketer if resolution else None
    return (lead_id, kind, marketer, marketer, rep, rep, verdict_ref, reason, note, status, resolution,
            "", resolved_by, resolved_at, at, resolved_at, None)  # fmt: skip


def _open_or_resolved(rng, lead_id, kind, marketer, rep, verdict_ref, reason, at, end):
    """Bad news older than a month has mostly been answered; the recent stays open."""
    if at < end - timedelta(days=30) and rng.random() < 0.85:
        resolved_at = min(at + timedelta(hours=2 + 100 * rng.random()), end)
        return _item(lead_id, kind, marketer, rep, verdict_ref, reason, at, None,
                     resolution=rng.choice(RESOLUTIONS), resolved_at=resolved_at)  # fmt: skip
    return _item(lead_id, kind, marketer, rep, verdict_ref, reason, at, None)
