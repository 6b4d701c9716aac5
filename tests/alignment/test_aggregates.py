"""Percentiles: one definition (PostgreSQL's percentile_cont) on every database."""

from datetime import timedelta

import pytest
from django.db.models import DurationField, ExpressionWrapper, F
from django.utils import timezone

from alignment.aggregates import percentile_by_group, percentiles_by_offset
from leads.models import Lead
from tests.leads.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db

WAITED = ExpressionWrapper(F("last_activity_at") - F("captured_at"), output_field=DurationField())


def _leads(campaign, hours):
    start = timezone.now() - timedelta(days=30)
    for h in hours:
        LeadFactory(campaign=campaign, captured_at=start, last_activity_at=start + timedelta(hours=h))


def test_percentile_by_group_is_exact_per_group_in_one_query(django_assert_num_queries):
    # given one campaign with four waits, one with a single wait and one with none
    a, b, c = CampaignFactory(), CampaignFactory(), CampaignFactory()
    _leads(a, [1, 10, 2, 4])
    _leads(b, [5])
    leads = Lead.objects.filter(campaign__in=[a, b, c])

    # when the median and the 90th percentile are read per campaign
    with django_assert_num_queries(1):
        medians = percentile_by_group(leads, WAITED, 0.5, group="campaign_id")
    p90 = percentile_by_group(leads, WAITED, 0.9, group="campaign_id")

    # then the median of 1, 2, 4, 10 is 3 (not the mean, 4.25), and 0.9 sits 70% between 4 and 10
    assert medians == {a.pk: timedelta(hours=3), b.pk: timedelta(hours=5)}
    assert p90 == {a.pk: timedelta(hours=8.2), b.pk: timedelta(hours=5)}


def test_percentile_by_group_agrees_with_the_ungrouped_percentiles(db):
    campaign = CampaignFactory()
    _leads(campaign, [7, 3, 3, 9, 1, 12, 5])
    leads = Lead.objects.filter(campaign=campaign)

    for fraction in (0.0, 0.25, 0.5, 0.95, 1.0):
        (expected,) = percentiles_by_offset(leads, WAITED, (fraction,), leads.count())
        assert percentile_by_group(leads, WAITED, fraction, group="campaign_id")[campaign.pk] == pytest.approx(
            expected, abs=timedelta(microseconds=1)
        )
