from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import DateTimeField, Value

from alignment.errors import InvalidInput, NotAllowed
from alignment.models import SlaSettings
from alignment.sla import (
    business_hours_parse,
    duration_describe,
    sla_clock_describe,
    sla_deadline,
    sla_elapsed,
    sla_elapsed_seconds,
    sla_settings_get,
    sla_settings_update,
    sla_start_before,
)

BERLIN = ZoneInfo("Europe/Berlin")


def policy(business_hours="", holidays=""):
    return SlaSettings(
        sla_accept_hours=Decimal("24"),
        cold_after_days=Decimal("7"),
        escalate_after_hours=Decimal("24"),
        feedback_response_days=Decimal("3"),
        business_hours=business_hours,
        holidays=holidays,
    )


def test_business_hours_parse_reads_days_hours_and_time_zone():
    hours = business_hours_parse("Mon-Fri 09:00-17:00 Europe/Berlin", "2026-12-25\n# Boxing day\n2026-12-26")

    assert hours.days == frozenset({0, 1, 2, 3, 4})
    assert (hours.opens.hour, hours.closes.hour) == (9, 17)
    assert hours.tz.key == "Europe/Berlin"
    assert len(hours.holidays) == 2
    assert business_hours_parse("") is None
    assert business_hours_parse("Sat,Sun 10:00-14:00 UTC").days == frozenset({5, 6})
    assert business_hours_parse("Fri-Mon 08:00-12:00 UTC").days == frozenset({4, 5, 6, 0})


@pytest.mark.parametrize(
    "text, message",
    [
        ("whenever", "Write business hours as"),
        ("Mon-Fri 17:00-09:00 UTC", "close after they open"),
        ("Mon-Fry 09:00-17:00 UTC", "Unknown day"),
        ("Mon-Fri 09:00-17:00 Mars/Olympus", "Unknown time zone"),
        ("Mon-Fri 09:00-25:00 UTC", "not a time of day"),
    ],
)
def test_business_hours_parse_explains_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        business_hours_parse(text)


def test_without_business_hours_every_hour_counts():
    start = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)

    assert sla_deadline(start=start, hours=24, policy=policy()) == start + timedelta(hours=24)
    assert sla_start_before(end=start, hours=Decimal("1.5"), policy=policy()) == start - timedelta(hours=1, minutes=30)
    assert sla_elapsed(start=start, end=start + timedelta(days=2), policy=policy()) == timedelta(days=2)


def test_deadline_skips_nights_weekends_and_holidays_in_the_companys_time_zone():
    rules = policy("Mon-Fri 09:00-17:00 Europe/Berlin", "2026-03-09")
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=BERLIN)

    # 1 hour on Friday, Monday is a holiday, 7 hours on Tuesday
    assert sla_deadline(start=friday_4pm, hours=8, policy=rules) == datetime(2026, 3, 10, 16, 0, tzinfo=BERLIN)
    # started at night: the clock starts at nine
    night = datetime(2026, 3, 3, 2, 0, tzinfo=BERLIN)
    assert sla_deadline(start=night, hours=2, policy=rules) == datetime(2026, 3, 3, 11, 0, tzinfo=BERLIN)
    # exactly a day's hours: due at closing time, not the next morning
    assert sla_deadline(start=night, hours=8, policy=rules) == datetime(2026, 3, 3, 17, 0, tzinfo=BERLIN)


def test_deadline_keeps_local_hours_across_a_daylight_saving_change():
    rules = policy("Mon-Fri 09:00-17:00 Europe/Berlin")
    friday = datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN)  # clocks go forward on Sunday the 29th

    due = sla_deadline(start=friday, hours=2, policy=rules)

    assert due == datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)
    assert due.utcoffset() == timedelta(hours=2)


def test_start_before_is_the_inverse_of_the_deadline():
    rules = policy("Mon-Fri 09:00-17:00 Europe/Berlin", "2026-03-09")
    for start in (
        datetime(2026, 3, 6, 16, 0, tzinfo=BERLIN),
        datetime(2026, 3, 4, 9, 30, tzinfo=BERLIN),
        datetime(2026, 3, 2, 12, 15, tzinfo=BERLIN),
    ):
        for hours in (1, 8, 13, 40):
            due = sla_deadline(start=start, hours=hours, policy=rules)
            assert sla_elapsed(start=start, end=due, policy=rules) == timedelta(hours=hours)
            assert sla_start_before(end=due, hours=hours, policy=rules) == start


def test_start_before_from_a_weekend_counts_back_from_fridays_closing():
    rules = policy("Mon-Fri 09:00-17:00 UTC")
    sunday = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)

    assert sla_start_before(end=sunday, hours=3, policy=rules) == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)


def test_clock_description_says_which_clock_applies():
    assert sla_clock_describe(policy()) == "Every hour counts, around the clock."
    text = sla_clock_describe(policy("Mon-Fri 09:00-17:00 Europe/Berlin", "2026-12-25\n2026-12-26"))
    assert text == "Business hours only: Mon, Tue, Wed, Thu, Fri 09:00–17:00 Europe/Berlin, except 2 holidays."


def test_duration_describe_reads_like_a_person_would_say_it():
    assert duration_describe(timedelta(days=3, hours=4, minutes=10)) == "3 days 4 hours"
    assert duration_describe(timedelta(hours=1, minutes=5)) == "1 hour 5 minutes"
    assert duration_describe(timedelta(minutes=20)) == "20 minutes"
    assert duration_describe(timedelta(0)) == "0 minutes"


def test_sla_settings_get_starts_from_the_environment(db, settings):
    settings.ALIGNMENT_SLA_ACCEPT_HOURS = 12.5
    settings.ALIGNMENT_BUSINESS_HOURS = "Mon-Fri 08:00-16:00 UTC"

    row = sla_settings_get()

    assert row.sla_accept_hours == Decimal("12.5")
    assert row.business_hours == "Mon-Fri 08:00-16:00 UTC"
    assert sla_settings_get().pk == row.pk
    assert SlaSettings.objects.count() == 1


def valid_data(**changes):
    data = {
        "sla_accept_hours": "8",
        "cold_after_days": "5",
        "escalate_after_hours": "4",
        "feedback_response_days": "2",
        "business_hours": "Mon-Fri 09:00-17:00 Europe/Berlin",
        "holidays": "2026-12-25",
    }
    return {**data, **changes}


def test_sla_settings_update_saves_what_a_manager_sets(manager):
    row = sla_settings_update(data=valid_data(), by=manager)

    row.refresh_from_db()
    assert (row.sla_accept_hours, row.cold_after_days) == (Decimal("8"), Decimal("5"))
    assert row.business_hours == "Mon-Fri 09:00-17:00 Europe/Berlin"
    assert row.updated_by == manager


def test_sla_settings_update_refuses_bad_values_and_changes_nothing(manager):
    before = sla_settings_get()

    with pytest.raises(InvalidInput) as error:
        sla_settings_update(
            data=valid_data(sla_accept_hours="0", business_hours="always", holidays="Christmas"), by=manager
        )

    assert set(error.value.fields) == {"sla_accept_hours", "business_hours", "holidays"}
    after = sla_settings_get()
    assert (after.sla_accept_hours, after.business_hours) == (before.sla_accept_hours, before.business_hours)


def test_only_managers_change_the_sla_settings(marketer, rep):
    for person in (marketer, rep):
        with pytest.raises(NotAllowed):
            sla_settings_update(data=valid_data(), by=person)


def test_sla_settings_update_keeps_a_short_threshold_as_set(manager):
    # given an escalation 18 seconds after the reminder
    row = sla_settings_update(data=valid_data(escalate_after_hours="0.005"), by=manager)

    # then it is stored as typed, not rounded to nothing
    row.refresh_from_db()
    assert row.escalate_after_hours == Decimal("0.005")


@pytest.mark.parametrize("value", ["0", "0.000", "-1", "0.0000001", "abc", ""])
def test_sla_settings_update_refuses_zero_negative_and_unstorable_thresholds(manager, value):
    with pytest.raises(InvalidInput) as error:
        sla_settings_update(data=valid_data(cold_after_days=value), by=manager)

    assert set(error.value.fields) == {"cold_after_days"}
    assert sla_settings_get().cold_after_days > 0


@pytest.mark.parametrize(
    "clock",
    [
        ("", ""),
        ("Mon-Fri 09:00-17:00 Europe/Berlin", "2026-03-09\n2026-03-14"),
        ("Sun-Thu 08:30-16:45 Asia/Jerusalem", ""),
        ("Mon-Sat 00:00-24:00 America/New_York", "2026-11-26"),
    ],
)
def test_elapsed_in_sql_is_the_clock_in_python(db, clock):
    """The dashboard measures many handoffs in one query: its SQL must count the very seconds
    `sla_elapsed` counts, over nights, weekends, holidays and a daylight-saving change."""
    rules = policy(*clock)
    starts = [
        datetime(2026, 3, 6, 15, 30, tzinfo=BERLIN),  # Friday afternoon
        datetime(2026, 3, 8, 23, 0, tzinfo=UTC),  # Sunday night, before a holiday
        datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN),  # before clocks go forward
        datetime(2026, 11, 25, 12, 17, 30, tzinfo=UTC),
    ]
    # In UTC, as the database hands timestamps back: Python subtracts two times of one zone by the clock on the wall.
    pairs = [
        (start.astimezone(UTC), start.astimezone(UTC) + timedelta(minutes=minutes))
        for start in starts
        for minutes in (0, 4, 61, 600, 3000, 20000)
    ]
    when = lambda moment: Value(moment, output_field=DateTimeField())  # noqa: E731
    sql = SlaSettings.objects.filter(pk=sla_settings_get().pk).values(
        **{
            f"pair{i}": sla_elapsed_seconds(start=when(start), end=when(end), policy=rules)
            for i, (start, end) in enumerate(pairs)
        }
    )[0]

    for i, (start, end) in enumerate(pairs):
        expected = sla_elapsed(start=start, end=end, policy=rules).total_seconds()
        assert sql[f"pair{i}"] == pytest.approx(expected, abs=1), (start, end)
