"""The stories of `demo.generate`, written set-based in SQL on PostgreSQL (`lead_stories_insert`):
a million leads in Python would take minutes. Same rules, same weights as `lead_stories`; the
tests run the same checks on both."""

from demo.generate import (
    ACCEPTED_ON,
    ACTIVITIES,
    CHANNELS,
    COLUMNS,
    COMPANY_A,
    COMPANY_B,
    COMPANY_C,
    DAY,
    ENDS,
    FIRST,
    FREE_MAIL_DOMAIN,
    FREE_MAIL_SHARE,
    HOUR,
    LAST,
    OLD_WEIGHTS,
    PAINS,
    PLACES,
    PLANTED_BASE,
    PLANTED_FREE_MAIL,
    PLANTED_GOOD_CAMPAIGN,
    PLANTED_GOOD_CAMPAIGNS,
    PLANTED_PAIR,
    PLANTED_PAIR_EFFECT,
    PLANTED_TITLE,
    PLANTED_WON,
    RECENT_DAYS,
    RECENT_WEIGHTS,
    RECYCLE_REASON,
    RESOLUTIONS,
    RESPONSE_LOG_ODDS,
    STORIES,
    TITLES,
    VERDICT_ON,
    S,
    Team,
)
from feedback.models import FeedbackKind, FeedbackStatus, Resolution
from leads.models import CaptureChannel, EventKind, HandoffOutcome, VerdictValue

# The stories of `lead_stories`, written as SQL over generate_series: one temporary table holds a chunk of
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
    "resolve_1", "resolve_hours_1", "resolution_1", "resolve_2", "resolve_hours_2", "resolution_2", "mail",
)  # fmt: skip


def _response_log_odds_sql(wait: str = "t.accepted - t.handed") -> str:
    """response_log_odds of the interval `wait` (the story's time to accept)."""
    whens = " ".join(
        f"WHEN {wait} <= interval '{limit} seconds' THEN {effect!r}" for limit, effect in RESPONSE_LOG_ODDS if limit
    )
    return f"(CASE {whens} ELSE {RESPONSE_LOG_ODDS[-1][1]!r} END)"


def _planted_log_odds_sql():
    """planted_log_odds over the story's draws (the same picks as the columns they choose)."""
    index = "floor({draw} * {size})::int"
    campaigns = "cardinality(%(campaign_ids)s::bigint[])"
    verticals = "cardinality(%(verticals)s::bigint[])"
    france = [i for i, (country, _) in enumerate(PLACES) if country == PLANTED_PAIR[1]][0]
    titles = "ARRAY[" + ", ".join(repr(v) for v in PLANTED_TITLE) + "]::float8[]"
    return (
        f"({PLANTED_BASE!r} + CASE WHEN d.mail < {FREE_MAIL_SHARE!r} THEN {PLANTED_FREE_MAIL!r} ELSE 0 END"
        f" + ({titles})[1 + {index.format(draw='d.title', size=len(TITLES))}]"
        f" + CASE WHEN {index.format(draw='d.campaign', size=campaigns)} < {PLANTED_GOOD_CAMPAIGNS}"
        f" THEN {PLANTED_GOOD_CAMPAIGN!r} ELSE 0 END"
        f" + CASE WHEN {index.format(draw='d.vertical', size=verticals)} = {PLANTED_PAIR[0]}"
        f" AND {index.format(draw='d.place', size=len(PLACES))} = {france} THEN {PLANTED_PAIR_EFFECT!r} ELSE 0 END)"
    )


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
    {_pick(_literals(TITLES), "d.title")} AS title, d.mail < {FREE_MAIL_SHARE!r} AS free_mail,
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
            WHEN d.good < 1 / (1 + exp(-{_planted_log_odds_sql()} - {_response_log_odds_sql()}
                - CASE WHEN s.status = '{S.WON}' THEN {PLANTED_WON!r} ELSE 0 END))
            THEN '{VerdictValue.GOOD}' ELSE '{VerdictValue.BAD}' END
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
SELECT t.id, lower(t.first || '.' || t.last || '.' || t.id || '@'
    || CASE WHEN t.free_mail THEN '{FREE_MAIL_DOMAIN}' ELSE t.company_a || '-' || t.company_b || '.example' END),
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
