"""Made-up lead stories for `manage.py generate_leads`, as rows ready for bulk loading.

Each lead gets one story: captured, then (maybe) handed off, accepted or rejected, worked,
qualified, won or lost, recycled to nurture; its waterfall dates follow the story in order and never
pass "now", and its handoff, timeline events, touches, verdict (with the lead's wait for it) and
feedback items tell the same story.

On PostgreSQL the stories are written set-based, in SQL (`lead_stories_insert`): a million leads in
Python would take minutes. Elsewhere (SQLite, the development default and the tests) `lead_stories`
makes them as tuples in the column order of `COLUMNS`, for `bulk_create`. Both follow the same
rules with the same weights; the tests run the same checks on both.
"""

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
        campaign_id, source, campaign_name, marketer = choice(team.campaigns)
        first, last = choice(FIRST), choice(LAST)
        company = f"{choice(COMPANY_A)} {choice(COMPANY_B)} {choice(COMPANY_C)}".rstrip()
        country, region = choice(PLACES)
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
                good_chance = good_chance_by_response(accepted - handed)
                verdict = VerdictValue.GOOD if (status == S.WON or rand() < good_chance) else VerdictValue.BAD
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
        leads.append(
            (lead_id, f"{first}.{last}.{lead_id}@{company.split()[0]}-{company.split()[1]}.example".lower(),
             f"{first} {last}", company, choice(TITLES), "", country, region, choice(team.verticals),
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


# --- PostgreSQL: the same stories, set-based ---------------------------------------------------
#
# The stories above, written as SQL over generate_series: one temporary table holds a chunk of
# stories (every random draw taken once per lead), and one INSERT … SELECT a table writes its rows
# from it. The draws come from PostgreSQL's random(), which `setseed` makes repeatable; the rules
# are the same as lead_stories' (the tests run both on the same checks).


def _cases(column, values, weights):
    """SQL that picks one of `values` by `weights` from a uniform draw in `column`."""
    total, acc, parts = sum(weights), 0, []
    for value, weight in zip(values[:-1], weights[:-1], strict=True):
        acc += weight
        parts.append(f"WHEN {column} < {acc / total!r} THEN '{value}'")
    return f"CASE {' '.join(parts)} ELSE '{values[-1]}' END"


def _pick(array, draw):
    """SQL for one element of the SQL array `array` chosen by the uniform draw `draw`."""
    return f"({array})[1 + floor({draw} * cardinality({array}))::int]"


# The chance a lead is judged good, falling with the time the rep took to answer it (the decay the
# dashboard's speed-to-lead curve shows): 80 % within 5 minutes, 65 % within the hour, 50 % within
# the day, 35 % later.
def good_chance_by_response(wait) -> float:
    seconds = wait.total_seconds()
    return 0.8 if seconds <= 300 else 0.65 if seconds <= 3600 else 0.5 if seconds <= 86400 else 0.35


GOOD_CHANCE_SQL = (
    "(CASE WHEN t.accepted - t.handed <= interval '5 minutes' THEN 0.8"
    " WHEN t.accepted - t.handed <= interval '1 hour' THEN 0.65"
    " WHEN t.accepted - t.handed <= interval '1 day' THEN 0.5 ELSE 0.35 END)"
)


def _later(at, low, high, draw):
    """SQL for lead_stories' later(): a moment between `low` and `high` seconds after `at`, never past now."""
    return f"LEAST({at} + ({low!r} + {high - low!r} * {draw}) * interval '1 second', %(now)s)"


def _literals(values):
    return "ARRAY[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]::text[]"


DRAWS = (
    "end_draw", "campaign", "first", "last", "company_a", "company_b", "company_c", "place", "channel",
    "touch", "touch_at", "handed", "queued", "rep", "story", "accepted", "worked", "activity", "qualified",
    "won", "won_amount", "lost", "lost_reason", "rejected", "reject_reason", "recycled", "verdict", "good",
    "verdict_at", "bad_reason", "pain", "title", "vertical", "value",
    "resolve_1", "resolve_hours_1", "resolution_1", "resolve_2", "resolve_hours_2", "resolution_2",
)  # fmt: skip


def _open_or_resolved_sql(n, at):
    """SQL for _open_or_resolved's resolved_at and resolution of the story's n-th feedback item."""
    resolved = f"({at} < %(now)s - interval '30 days' AND d.resolve_{n} < 0.85)"
    hours = f"(2 + 100 * d.resolve_hours_{n}) * interval '1 hour'"
    resolved_at = f"CASE WHEN {resolved} THEN LEAST({at} + {hours}, %(now)s) END"
    resolution = f"CASE WHEN {resolved} THEN {_pick(_literals(RESOLUTIONS), f'd.resolution_{n}')} ELSE '' END"
    return resolved_at, resolution


def _story_sql():
    accepted_on = ", ".join(f"'{s}'" for s in ACCEPTED_ON)
    verdict_on = ", ".join(f"'{s}'" for s in VERDICT_ON)
    lost_1, lost_res_1 = _open_or_resolved_sql(1, "t.lost")
    rej_1, rej_res_1 = _open_or_resolved_sql(1, "t.rejected")
    bad_2, bad_res_2 = _open_or_resolved_sql(2, "v.verdict_at")
    return f"""
CREATE TEMPORARY TABLE gen_story ON COMMIT DROP AS
SELECT d.id, d.captured, s.status, s.campaign_id, s.source, s.campaign_name, s.marketer, s.marketer_name,
    s.by_id, s.channel, s.channel_label, s.first, s.last, s.company_a, s.company_b,
    rtrim(s.company_a || ' ' || s.company_b || ' ' || {_pick(_literals(COMPANY_C), "d.company_c")}) AS company,
    {_pick(_literals(p[0] for p in PLACES), "d.place")} AS country,
    {_pick(_literals(p[1] for p in PLACES), "d.place")} AS region,
    {_pick(_literals(TITLES), "d.title")} AS title,
    {_pick("%(verticals)s::bigint[]", "d.vertical")} AS vertical,
    1000 + 100 * floor(d.value * 1490) AS estimated_value,
    t.touch_at, t.handed, t.rep, t.rep_name, t.story, t.accepted, t.worked,
    CASE WHEN t.worked IS NOT NULL THEN {_pick(_literals(kind for kind, _ in ACTIVITIES), "d.activity")} END
        AS activity_kind,
    {_pick(_literals(note for _, note in ACTIVITIES), "d.activity")} AS activity_note,
    t.qualified, t.won, t.won_amount, t.lost, t.lost_reason, t.rejected, t.reject_reason, t.recycled,
    v.verdict, v.verdict_at, v.bad_reason, {_pick(_literals(PAINS), "d.pain")} AS pain,
    CASE WHEN v.verdict <> '' THEN nextval(pg_get_serial_sequence('feedback_verdict', 'id')) END AS verdict_id,
    CASE WHEN t.lost IS NOT NULL THEN {lost_1} WHEN s.status = '{S.NURTURE}' THEN t.recycled
        WHEN t.rejected IS NOT NULL THEN {rej_1} END AS resolved_at_1,
    CASE WHEN t.lost IS NOT NULL THEN {lost_res_1} WHEN s.status = '{S.NURTURE}' THEN '{Resolution.RECYCLED}'
        WHEN t.rejected IS NOT NULL THEN {rej_res_1} ELSE '' END AS resolution_1,
    CASE WHEN v.verdict = '{VerdictValue.BAD}' THEN {bad_2} END AS resolved_at_2,
    CASE WHEN v.verdict = '{VerdictValue.BAD}' THEN {bad_res_2} ELSE '' END AS resolution_2
FROM (
    SELECT %(first_id)s + g AS id,
        LEAST(%(start)s + (g + random()) * %(step)s * interval '1 second', %(now)s) AS captured,
        {", ".join(f"random() AS {name}" for name in DRAWS)}
    FROM generate_series(0, %(count)s - 1) AS g
    OFFSET 0
) AS d
CROSS JOIN LATERAL (
    SELECT CASE WHEN d.captured > %(now)s - interval '{RECENT_DAYS} days'
            THEN {_cases("d.end_draw", ENDS, RECENT_WEIGHTS)} ELSE {_cases("d.end_draw", ENDS, OLD_WEIGHTS)} END
            AS status,
        {_pick("%(campaign_ids)s::bigint[]", "d.campaign")} AS campaign_id,
        {_pick("%(campaign_sources)s::text[]", "d.campaign")} AS source,
        {_pick("%(campaign_names)s::text[]", "d.campaign")} AS campaign_name,
        {_pick("%(campaign_marketers)s::bigint[]", "d.campaign")} AS marketer,
        {_pick("%(campaign_marketer_names)s::text[]", "d.campaign")} AS marketer_name,
        {_pick(_literals(c.value for c in CHANNELS), "d.channel")} AS channel,
        {_pick(_literals(c.label for c in CHANNELS), "d.channel")} AS channel_label,
        CASE WHEN {_pick(_literals(c.value for c in CHANNELS), "d.channel")} = '{CaptureChannel.WEB_FORM}'
            THEN NULL ELSE {_pick("%(campaign_marketers)s::bigint[]", "d.campaign")} END AS by_id,
        {_pick(_literals(FIRST), "d.first")} AS first,
        {_pick(_literals(LAST), "d.last")} AS last,
        {_pick(_literals(COMPANY_A), "d.company_a")} AS company_a,
        {_pick(_literals(COMPANY_B), "d.company_b")} AS company_b
    OFFSET 0
) AS s
CROSS JOIN LATERAL (
    SELECT CASE WHEN d.touch < 0.08 THEN {_later("d.captured", HOUR, 20 * DAY, "d.touch_at")} END AS touch_at,
        CASE WHEN s.status <> '{S.NEW}' THEN {_later("d.captured", 0.5 * HOUR, 4 * DAY, "d.handed")} END AS handed,
        CASE WHEN s.status = '{S.NEW}' OR (s.status = '{S.HANDED_OFF}' AND d.queued < 0.05) THEN NULL
            ELSE {_pick("%(reps)s::bigint[]", "d.rep")} END AS rep,
        CASE WHEN s.status = '{S.NEW}' OR (s.status = '{S.HANDED_OFF}' AND d.queued < 0.05) THEN NULL
            ELSE {_pick("%(rep_names)s::text[]", "d.rep")} END AS rep_name,
        CASE WHEN s.status <> '{S.NEW}' THEN {_pick(_literals(STORIES), "d.story")} END AS story
    OFFSET 0
) AS h
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.status IN ({accepted_on}) THEN {_later("h.handed", 60, 30 * HOUR, "power(d.accepted, 3)")} END
        AS accepted,
        CASE WHEN s.status IN ('{S.REJECTED}', '{S.NURTURE}')
            THEN {_later("h.handed", 0.5 * HOUR, 30 * HOUR, "d.rejected")} END AS rejected
    OFFSET 0
) AS a
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.status IN ({accepted_on}) AND s.status <> '{S.ACCEPTED}'
        THEN {_later("a.accepted", HOUR, 3 * DAY, "d.worked")} END AS worked
    OFFSET 0
) AS w
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.status IN ('{S.QUALIFIED}', '{S.WON}')
        THEN {_later("w.worked", DAY, 20 * DAY, "d.qualified")} END AS qualified
    OFFSET 0
) AS q
CROSS JOIN LATERAL (
    SELECT h.touch_at, h.handed, h.rep, h.rep_name, h.story, a.accepted, w.worked, q.qualified,
        CASE WHEN s.status = '{S.WON}' THEN {_later("q.qualified", 3 * DAY, 40 * DAY, "d.won")} END AS won,
        CASE WHEN s.status = '{S.WON}' THEN 2000 + 500 * floor(d.won_amount * 236) END AS won_amount,
        CASE WHEN s.status = '{S.LOST}' THEN {_later("w.worked", 2 * DAY, 30 * DAY, "d.lost")} END AS lost,
        CASE WHEN s.status = '{S.LOST}' THEN {_pick("%(reasons)s::bigint[]", "d.lost_reason")} END AS lost_reason,
        a.rejected,
        CASE WHEN a.rejected IS NOT NULL THEN {_pick("%(reasons)s::bigint[]", "d.reject_reason")} END
            AS reject_reason,
        CASE WHEN s.status = '{S.NURTURE}' THEN {_later("a.rejected", DAY, 10 * DAY, "d.recycled")} END AS recycled
    OFFSET 0
) AS t
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.status NOT IN ({verdict_on}) OR d.verdict >= 0.6 THEN ''
            WHEN s.status = '{S.WON}' OR d.good < {GOOD_CHANCE_SQL} THEN '{VerdictValue.GOOD}'
            ELSE '{VerdictValue.BAD}' END
            AS verdict
    OFFSET 0
) AS v0
CROSS JOIN LATERAL (
    SELECT v0.verdict,
        CASE WHEN v0.verdict <> '' THEN {_later("t.accepted", HOUR, 5 * DAY, "d.verdict_at")} END AS verdict_at,
        CASE WHEN v0.verdict = '{VerdictValue.BAD}' THEN {_pick("%(reasons)s::bigint[]", "d.bad_reason")} END
            AS bad_reason
    OFFSET 0
) AS v
"""


# The last step of the story: the lead's last activity.
_LAST_ACTIVITY = (
    "coalesce(t.won, t.lost, t.qualified, t.worked, t.accepted, t.recycled, t.rejected, t.handed, t.captured)"
)


def _insert_sql():
    """The INSERT … SELECT of each table from gen_story, in the column order of COLUMNS."""
    won_note = "'Won: ' || to_char(t.won_amount, 'FM999,999,990.00')"
    queue = "the managers'' queue"
    leads = f"""
SELECT t.id, lower(t.first || '.' || t.last || '.' || t.id || '@' || t.company_a || '-' || t.company_b || '.example'),
    t.first || ' ' || t.last, t.company, t.title, '', t.country, t.region, t.vertical, t.estimated_value,
    t.campaign_id, t.source, '', '', t.status,
    CASE WHEN t.status IN ('{S.REJECTED}', '{S.NURTURE}') THEN NULL ELSE t.rep END, t.marketer,
    CASE WHEN t.touch_at IS NULL THEN 1 ELSE 2 END, coalesce(t.touch_at, t.captured), {_LAST_ACTIVITY},
    t.captured, t.handed, t.accepted, t.qualified, t.won, t.lost, t.won_amount, t.lost_reason, t.verdict,
    t.verdict_at, CASE WHEN t.recycled IS NULL THEN 0 ELSE 1 END,
    CASE WHEN t.recycled IS NULL THEN '' ELSE '{RECYCLE_REASON}' END,
    ((t.recycled + interval '90 days') AT TIME ZONE 'UTC')::date, NULL, '', {_LAST_ACTIVITY},
    CASE WHEN t.verdict <> '' THEN t.verdict_at - t.handed END
FROM gen_story t"""
    verdicts = """
SELECT t.verdict_id, t.id, t.rep, t.verdict, t.bad_reason, '', t.pain, true, t.verdict_at
FROM gen_story t WHERE t.verdict_id IS NOT NULL"""
    handoffs = f"""
SELECT t.id, t.marketer, t.rep, t.story, t.handed, t.handed + interval '24 hours',
    CASE WHEN t.accepted IS NOT NULL THEN '{HandoffOutcome.ACCEPTED}'
        WHEN t.rejected IS NOT NULL THEN '{HandoffOutcome.REJECTED}' ELSE '{HandoffOutcome.OPEN}' END,
    coalesce(t.accepted, t.rejected), t.reject_reason, '', NULL, NULL,
    CASE WHEN t.rep IS NULL THEN 'No routing rule matched: {queue}.'
        ELSE 'Chosen by hand by ' || t.marketer_name || '.' END
FROM gen_story t WHERE t.handed IS NOT NULL"""
    transition = EventKind.TRANSITION
    events = f"""
SELECT t.id, e.kind, e.from_status, e.to_status, e.actor, e.note, e.at
FROM gen_story t CROSS JOIN LATERAL (VALUES
    ('{EventKind.CAPTURED}', '', '{S.NEW}', t.by_id,
        'Captured via ' || t.channel_label || ' (' || t.campaign_name || ').', t.captured),
    ('{EventKind.TOUCH}', '', '', NULL, 'Captured again via {CaptureChannel.WEB_FORM.label}.', t.touch_at),
    ('{transition}', '{S.NEW}', '{S.HANDED_OFF}', t.marketer,
        'Handed off to ' || coalesce(t.rep_name, '{queue}') || ': ' || t.story, t.handed),
    ('{transition}', '{S.HANDED_OFF}', '{S.ACCEPTED}', t.rep, '', t.accepted),
    ('{transition}', '{S.ACCEPTED}', '{S.WORKING}', t.rep, '', t.worked),
    (t.activity_kind, '', '', t.rep, t.activity_note, t.worked),
    ('{transition}', '{S.WORKING}', '{S.QUALIFIED}', t.rep, '', t.qualified),
    ('{transition}', '{S.QUALIFIED}', '{S.WON}', t.rep, {won_note}, t.won),
    ('{transition}', '{S.WORKING}', '{S.LOST}', t.rep, 'Lost.', t.lost),
    ('{transition}', '{S.HANDED_OFF}', '{S.REJECTED}', t.rep, 'Rejected.', t.rejected),
    ('{transition}', '{S.REJECTED}', '{S.NURTURE}', t.marketer, 'Recycled: {RECYCLE_REASON}', t.recycled),
    ('{EventKind.VERDICT}', '', '', t.rep, 'Judged ' || t.verdict || '.', t.verdict_at)
) AS e (kind, from_status, to_status, actor, note, at)
WHERE e.at IS NOT NULL"""
    touches = f"""
SELECT t.id, t.campaign_id, e.channel, e.by_id, e.at
FROM gen_story t CROSS JOIN LATERAL (VALUES
    (t.channel, t.by_id, t.captured), ('{CaptureChannel.WEB_FORM}', NULL, t.touch_at)
) AS e (channel, by_id, at)
WHERE e.at IS NOT NULL"""
    info = FeedbackStatus.INFO
    items = f"""
SELECT t.id, i.kind, t.marketer, t.marketer, t.rep, t.rep, i.verdict_id, i.reason, i.note,
    CASE WHEN i.kind IN ('{FeedbackKind.WON}', '{FeedbackKind.GOOD_VERDICT}') THEN '{info}'
        WHEN i.resolution <> '' THEN '{FeedbackStatus.RESOLVED}' ELSE '{FeedbackStatus.OPEN}' END,
    i.resolution, '', CASE WHEN i.resolution <> '' THEN t.marketer END, i.resolved_at, i.at, i.resolved_at, NULL
FROM gen_story t CROSS JOIN LATERAL (VALUES
    ('{FeedbackKind.WON}', t.won, NULL::bigint, NULL::bigint, {won_note}, '', NULL::timestamptz),
    ('{FeedbackKind.LOST}', t.lost, NULL, t.lost_reason, '', t.resolution_1, t.resolved_at_1),
    ('{FeedbackKind.REJECTED}', t.rejected, NULL, t.reject_reason, '', t.resolution_1, t.resolved_at_1),
    (CASE t.verdict WHEN '{VerdictValue.BAD}' THEN '{FeedbackKind.BAD_VERDICT}' ELSE '{FeedbackKind.GOOD_VERDICT}' END,
        t.verdict_at, t.verdict_id, t.bad_reason, '', t.resolution_2, t.resolved_at_2)
) AS i (kind, at, verdict_id, reason, note, resolution, resolved_at)
WHERE i.at IS NOT NULL"""
    selects = {
        "leads_lead": leads,
        "feedback_verdict": verdicts,
        "leads_handoff": handoffs,
        "leads_leadevent": events,
        "leads_touch": touches,
        "feedback_feedbackitem": items,
    }
    return {table: f"INSERT INTO {table} ({', '.join(COLUMNS[table])}) {select}" for table, select in selects.items()}


STORY_SQL = _story_sql()
INSERT_SQL = _insert_sql()


def lead_stories_insert(cursor, *, team: Team, first_id: int, count: int, start, end, now) -> None:
    """lead_stories on PostgreSQL: writes the rows of `count` leads with ids from `first_id` straight
    into their tables, verdict ids from their sequence."""
    params = {
        "first_id": first_id,
        "count": count,
        "start": start,
        "step": (end - start).total_seconds() / count,
        "now": now,
        "campaign_ids": [c[0] for c in team.campaigns],
        "campaign_sources": [c[1] for c in team.campaigns],
        "campaign_names": [c[2] for c in team.campaigns],
        "campaign_marketers": [c[3] for c in team.campaigns],
        "campaign_marketer_names": [team.names[c[3]] for c in team.campaigns],
        "reps": team.reps,
        "rep_names": [team.names[rep] for rep in team.reps],
        "reasons": team.reasons,
        "verticals": team.verticals,
    }
    cursor.execute("DROP TABLE IF EXISTS gen_story")
    cursor.execute(STORY_SQL, params)
    for sql in INSERT_SQL.values():
        cursor.execute(sql)
