"""generate_leads: a consistent dataset, by bulk means, for trying Alignment at scale."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from alignment.models import Role, User
from feedback.models import BAD_REASON_KINDS, FeedbackItem, FeedbackKind, ReasonDay, Verdict
from feedback.rollup import reason_days_rebuild
from leads.models import EventKind, Handoff, HandoffOutcome, Lead, LeadDay, LeadEvent, LeadStatus, ThemeDay, Touch
from leads.rollup import COLUMNS, KEY, lead_day_rows, lead_days_rebuild
from tests.feedback.test_theme_rollup import from_the_verdicts, rolled_up

pytestmark = pytest.mark.django_db(transaction=False)
S = LeadStatus


def _generate(count=400, **options):
    out = StringIO()
    call_command("generate_leads", count=count, seed=7, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def _roll_up():
    return {
        tuple(getattr(row, name) for name in KEY): tuple(getattr(row, column) for column in COLUMNS)
        for row in LeadDay.objects.all()
    }


def test_generate_leads_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        _generate(10)
    assert not User.objects.filter(username__startswith="gen-").exists()

    _generate(10, force=True)
    assert Lead.objects.count() == 10


def test_generate_leads_makes_its_team_and_they_can_log_in(client, debug):
    _generate(50, password="s3cret-pass")

    roles = dict(User.objects.filter(username__startswith="gen-").values_list("role").annotate(n=Count("id")))
    assert roles == {Role.MANAGER: 1, Role.MARKETER: 5, Role.REP: 20}
    assert client.login(username="gen-rep-1", password="s3cret-pass")
    assert client.login(username="gen-manager", password="s3cret-pass")


def test_generate_leads_covers_every_state_over_two_years(debug):
    _generate(2000)

    statuses = set(Lead.objects.values_list("status", flat=True))
    assert statuses == set(S.values)
    first, last = Lead.objects.order_by("captured_at").first(), Lead.objects.order_by("-captured_at").first()
    assert (last.captured_at - first.captured_at).days > 700
    assert Verdict.objects.exists() and FeedbackItem.objects.exists()
    assert Touch.objects.count() >= Lead.objects.count()


def test_every_generated_lead_tells_a_consistent_story(debug):
    _generate(1500)

    handoffs = {h.lead_id: h for h in Handoff.objects.all()}
    verdicts = {v.lead_id: v for v in Verdict.objects.filter(current=True)}
    last_event = {}
    for event in LeadEvent.objects.filter(kind__in=[EventKind.TRANSITION, EventKind.CAPTURED]).order_by("at", "id"):
        last_event[event.lead_id] = event.to_status
    assert Handoff.objects.values("lead").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    for lead in Lead.objects.all():
        handoff = handoffs.get(lead.pk)
        dates = [lead.captured_at, lead.handed_off_at, lead.accepted_at, lead.qualified_at, lead.won_at or lead.lost_at]
        present = [d for d in dates if d is not None]
        assert present == sorted(present), lead.pk
        assert last_event[lead.pk] == lead.status, lead.pk
        assert (lead.handed_off_at is None) == (lead.status == S.NEW) == (handoff is None), lead.pk
        accepted = lead.status in (S.ACCEPTED, S.WORKING, S.QUALIFIED, S.WON, S.LOST)
        assert (lead.accepted_at is not None) == accepted, lead.pk
        assert (lead.qualified_at is not None) == (lead.status in (S.QUALIFIED, S.WON)), lead.pk
        assert (lead.won_at is not None) == (lead.status == S.WON) == (lead.won_amount is not None), lead.pk
        assert (lead.lost_at is not None) == (lead.status == S.LOST) == (lead.lost_reason_id is not None), lead.pk
        if handoff is not None:
            rejected = HandoffOutcome.REJECTED
            expected = {S.HANDED_OFF: HandoffOutcome.OPEN, S.REJECTED: rejected, S.NURTURE: rejected}
            assert handoff.outcome == expected.get(lead.status, HandoffOutcome.ACCEPTED), lead.pk
            assert handoff.created_at == lead.handed_off_at, lead.pk
            assert lead.owner_id == (None if lead.status in (S.REJECTED, S.NURTURE) else handoff.to_rep_id), lead.pk
            if accepted:
                assert handoff.ended_at == lead.accepted_at and handoff.to_rep_id is not None, lead.pk
        else:
            assert lead.owner_id is None, lead.pk
        verdict = verdicts.get(lead.pk)
        assert lead.verdict == (verdict.verdict if verdict else ""), lead.pk
        assert lead.verdict_at == (verdict.created_at if verdict else None), lead.pk
        if verdict:
            assert accepted and verdict.rep_id == lead.owner_id, lead.pk
        # the wait for the first (here the only) verdict, as the verdict service records it
        assert lead.verdict_wait == (verdict.created_at - lead.handed_off_at if verdict else None), lead.pk
    bad = FeedbackItem.objects.filter(kind=FeedbackKind.BAD_VERDICT).select_related("verdict")
    assert all(item.verdict.verdict == "bad" and item.verdict.lead_id == item.lead_id for item in bad)


def test_the_roll_up_equals_a_rebuild_and_the_sum_of_the_leads(debug):
    _generate(1000)
    generated = _roll_up()

    summed = {}
    for lead in Lead.objects.all():
        for key, columns in lead_day_rows(lead).items():
            row = summed.setdefault(key, dict.fromkeys(COLUMNS, 0))
            for column, amount in columns.items():
                row[column] += amount
    lead_days_rebuild()

    assert generated == _roll_up()
    assert generated == {key: tuple(row[column] for column in COLUMNS) for key, row in summed.items()}
    # and the bad reasons' roll-up the command built counts every item with a reason against its lead
    reasons = set(ReasonDay.objects.values_list("day", "campaign", "reason", "count"))
    reason_days_rebuild()
    assert set(ReasonDay.objects.values_list("day", "campaign", "reason", "count")) == reasons
    counted = FeedbackItem.objects.filter(kind__in=BAD_REASON_KINDS, reason__isnull=False).count()
    assert sum(row[3] for row in reasons) == counted > 0


def test_voice_of_sales_roll_up_counts_the_themes_the_command_added_to_the_verdicts(debug):
    _generate(1000)

    generated = rolled_up()

    assert generated == from_the_verdicts()
    assert sum(generated.values()) == Verdict.pain_themes.through.objects.filter(verdict__current=True).count() > 0


def test_running_again_adds_leads_to_the_same_team(debug):
    _generate(30)
    message = _generate(20)

    assert "adding leads" in message
    assert Lead.objects.count() == 50
    assert User.objects.filter(username__startswith="gen-").count() == 26
    assert Lead.objects.values("email").distinct().count() == 50


def test_the_same_seed_tells_the_same_stories(debug):
    def stories():
        return list(Lead.objects.order_by("-id").values_list("name", "company", "status", "touch_count")[:40])

    _generate(40)
    first = stories()
    _generate(40)

    assert stories() == first


def test_the_generated_verdicts_fall_with_the_time_to_first_response(debug):
    from dashboard.figures import dashboard_figures
    from dashboard.periods import dashboard_filters_parse

    _generate(count=3000)
    # when: the two years on the dashboard
    from django.utils import timezone

    today = timezone.localdate()
    start = today.replace(year=today.year - 2, day=1)
    filters = dashboard_filters_parse({"period": "custom", "start": start.isoformat(), "end": today.isoformat()})
    curve = dashboard_figures(filters=filters)["speed_to_lead"]["by_response"]
    # then: every bucket has judged leads, and the good share falls from the fastest to the slowest
    shares = [bucket["good_share"] for bucket in curve]
    assert all(bucket["judged"] >= 20 for bucket in curve), curve
    assert shares[0] > shares[1] > shares[3], curve
    assert shares[0] > shares[2] > shares[3], curve


def test_the_generated_verdicts_carry_each_planted_effect(debug):
    """What a manager would see on the scorecard of the generated data: each effect planted in
    demo/generate.py moves the good share of the verdicts its way."""
    from demo.generate import FREE_MAIL_DOMAIN, PLANTED_GOOD_CAMPAIGNS, PLANTED_PAIR
    from demo.management.commands.generate_leads import CAMPAIGNS, VERTICALS

    _generate(count=6000)

    judged = Lead.objects.exclude(verdict="")

    def good_share(leads):
        n = leads.count()
        assert n >= 40, n  # enough verdicts for the share to mean something
        return leads.filter(verdict="good").count() / n

    free = judged.filter(email__endswith="@" + FREE_MAIL_DOMAIN)
    assert good_share(free) < good_share(judged.exclude(pk__in=free)) - 0.15
    good_campaigns = list(CAMPAIGNS)[:PLANTED_GOOD_CAMPAIGNS]
    best = judged.filter(campaign__name__in=good_campaigns)
    assert good_share(best) > good_share(judged.exclude(pk__in=best)) + 0.1
    pair = judged.filter(industry__name=VERTICALS[PLANTED_PAIR[0]], country=PLANTED_PAIR[1])
    assert good_share(pair) < good_share(judged.exclude(pk__in=pair)) - 0.15
    c_level, director = ("CTO", "CFO"), ("Head of Operations", "Marketing Director")
    manager, none = ("IT Manager", "Procurement Lead"), ("",)
    by_title = [good_share(judged.filter(title__in=titles)) for titles in (c_level, director, manager, none)]
    assert by_title[0] > by_title[1] + 0.02 and by_title[1] > by_title[2] + 0.02, by_title
    assert by_title[2] > by_title[3] + 0.05, by_title
    # a lead later won was likelier judged good, but not always: reps judge it weeks before the win
    won = judged.filter(status=S.WON)
    assert good_share(judged.exclude(status=S.WON)) + 0.1 < good_share(won) < 1


def test_generated_data_has_pain_themes_and_requests_in_every_status(debug):
    from planning.models import CampaignRequest

    _generate(600)

    current = Verdict.objects.filter(current=True)
    themed = current.filter(pain_themes__isnull=False).distinct().count()
    assert themed == sum(1 for pk in current.values_list("id", flat=True) if pk % 3 == 0)
    statuses = set(CampaignRequest.objects.values_list("status", flat=True))
    assert statuses == {"new", "declined", "accepted", "in_progress", "delivered"}
    assert all(r.requester.username.startswith("gen-rep-") for r in CampaignRequest.objects.select_related("requester"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM and its statistics are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_loaded_tables_are_left_vacuumed_and_analyzed(debug):
    """Like any bulk load: right after it the planner has statistics and the visibility map is set."""
    from demo.management.commands.generate_leads import COLUMNS as TABLES

    rollups = [LeadDay._meta.db_table, ReasonDay._meta.db_table, ThemeDay._meta.db_table]
    written = [*TABLES, *rollups, Verdict.pain_themes.through._meta.db_table]
    before = timezone.now()

    _generate(300)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, last_vacuum >= %s, last_analyze >= %s FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [before, before, written],
        )
        state = {name: (vacuumed, analyzed) for name, vacuumed, analyzed in cursor.fetchall()}
    assert state == dict.fromkeys(written, (True, True))
