import pytest
from django.core.cache import cache

from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.leads.factories import CampaignFactory
from tests.worker import celery_services, celery_worker  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counts live in the shared cache and every API call is counted: each test starts at zero."""
    cache.clear()
    yield


@pytest.fixture
def marketer(db):
    return MarketerFactory()


@pytest.fixture
def rep(db):
    return RepFactory()


@pytest.fixture
def other_rep(db):
    return RepFactory()


@pytest.fixture
def manager(db):
    return ManagerFactory()


@pytest.fixture
def campaign(marketer):
    return CampaignFactory(owner=marketer)
