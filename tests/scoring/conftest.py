import pytest

from tests.leads.factories import CampaignFactory
from tests.scoring.factories import judged_leads


@pytest.fixture
def campaigns(marketer):
    return [
        CampaignFactory(owner=marketer, name="Webinar Q3", source="webinar"),
        CampaignFactory(owner=marketer, name="Trade fair", source="event"),
        CampaignFactory(owner=marketer, name="Paid search", source="paid_search"),
    ]


@pytest.fixture
def judged(campaigns, rep, marketer):
    """600 judged leads with planted effects, and 40 handed off and not judged yet."""
    return judged_leads(count=600, unjudged=40, campaigns=campaigns, rep=rep, marketer=marketer)
