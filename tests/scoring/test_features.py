from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from alignment.models import Team, Vertical
from leads.models import Lead, Touch
from scoring.features import FEATURE_NAMES, feature_values, features_select
from tests.alignment.factories import MarketerFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

TITLES = (
    "Senior VP of Sales",
    "Vice President Marketing",
    "CHIEF Revenue Officer",
    "Director & Owner",
    "Head of IT",
    "Team Lead",
    "Leader of teams",
    "vp,sales",
    "ceo",
    "Analyst",
    "D\u0130RECTOR",  # a capital I with a dot lowers to "i" only outside ASCII: not a director
    "",
)
VALUES = (None, Decimal("4999.99"), Decimal("5000"), Decimal("24999"), Decimal("25000"), Decimal("100000"))
DOMAINS = ("gmail.com", "firm.example", "sub.yahoo.com", "outlook.com", "gmail.com.example")


@pytest.fixture
def varied_leads(campaign):
    """Leads whose values cover every branch: touches tied in time, after the handoff or none at all,
    titles of every rank and none, each value band's bounds, free and company mail, no capturer."""
    team = Team.objects.create(name="North")
    teamed = MarketerFactory(team=team)
    vertical = Vertical.objects.create(name="Logistics")
    start = timezone.now() - timedelta(days=30)
    leads = []
    for n in range(33):
        captured = start + timedelta(hours=n)
        handed = None if n % 4 == 3 else captured + timedelta(hours=3)
        lead = LeadFactory(
            campaign=campaign,
            title=TITLES[n % len(TITLES)],
            email=f"p{n}@{DOMAINS[n % len(DOMAINS)]}",
            phone="" if n % 2 else "+49 30 1",
            company="" if n % 3 == 0 else "Firm",
            region="" if n % 2 else "BE",
            industry=vertical if n % 3 else None,
            estimated_value=VALUES[n % len(VALUES)],
            captured_by=None if n % 5 == 0 else teamed if n % 5 == 1 else campaign.owner,
            captured_at=captured,
            handed_off_at=handed,
        )
        channels = ("api", "form", "import", "web_form")
        # n % 6 touches: the first two at the same instant (the lower id comes first), the third
        # exactly at the handoff (counted), the rest after it (not counted).
        for k in range(n % 6):
            at = captured + timedelta(hours=(0, 0, 3, 5, 6)[k])
            Touch.objects.create(lead=lead, campaign=campaign, channel=channels[(n + k) % 4], at=at)
        leads.append(lead)
    return leads


def sql_values(where, params):
    with connection.cursor() as cursor:
        cursor.execute(features_select(connection.vendor, where), params)
        return {row[0]: dict(zip(FEATURE_NAMES, row[1:], strict=True)) for row in cursor.fetchall()}


def test_the_sql_reads_every_lead_as_the_python_reference_does(varied_leads):
    # when: all at once, as training and the full rescore read them, and one lead at a time
    together = sql_values("l.id >= %s", [varied_leads[0].pk])
    # then
    assert len(together) == len(varied_leads)
    for lead in Lead.objects.select_related("captured_by").filter(pk__in=[lead.pk for lead in varied_leads]):
        expected = feature_values(lead)
        assert together[lead.pk] == expected, lead.pk
        assert sql_values("l.id = %s", [lead.pk]) == {lead.pk: expected}
    seen = {name: {values[name] for values in together.values()} for name in FEATURE_NAMES}
    assert seen["touches"] == {"1", "2", "3+"}
    assert seen["seniority"] == {"vp", "c_level", "director", "manager", "staff", ""}
    assert seen["value_band"] == {"", "under_5k", "5k_25k", "25k_100k", "100k_plus"}
    assert seen["email_kind"] == {"free", "company"}
    assert "" in seen["channel"] and "" in seen["team"] and "" in seen["vertical"]


def test_a_lead_filtered_out_gives_no_row(varied_leads):
    assert sql_values("l.id = %s AND l.handed_off_at IS NOT NULL", [varied_leads[3].pk]) == {}
