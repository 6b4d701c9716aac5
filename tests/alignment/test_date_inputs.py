"""Date inputs are the browser's date picker (keyboard friendly), read the house format ("31 Dec
2026") where someone types a day, and say which form to use when they cannot read one."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from alignment.days import DAY_HINT
from dashboard.models import RevenueGoal
from planning.meetings import action_item_create

pytestmark = pytest.mark.django_db


def test_the_goal_form_picks_a_day_and_reads_the_house_format(client, manager):
    client.force_login(manager)

    page = client.get(reverse("dashboard:goal")).content.decode()
    typed = client.post(reverse("dashboard:goal"), {"period": "quarter", "starts_on": "2 Oct 2026", "amount": "1000"})

    assert 'type="date" name="starts_on"' in page
    assert typed.status_code == 302
    assert RevenueGoal.objects.get().starts_on == date(2026, 10, 1)
    assert RevenueGoal.objects.get().amount == Decimal("1000")


def test_an_unreadable_day_says_which_form_to_use(client, manager):
    client.force_login(manager)

    goal = client.post(reverse("dashboard:goal"), {"period": "quarter", "starts_on": "10/02/2026", "amount": "1000"})
    dashboard = client.get(reverse("dashboard:dashboard"), {"period": "custom", "start": "10/02/2026", "end": "soon"})

    assert goal.status_code == 400 and DAY_HINT in goal.content.decode()
    assert dashboard.status_code == 400 and dashboard.content.decode().count(DAY_HINT) >= 2


def test_an_action_item_due_day_may_be_typed_as_the_house_writes_it(marketer, rep):
    item = action_item_create(by=marketer, title="Call the chains", owner=rep, due="31 Dec 2030")

    assert item.due == date(2030, 12, 31)
