import pytest
from django.core.cache import cache, caches

from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.leads.factories import CampaignFactory
from tests.live import asgi_server  # noqa: F401
from tests.oidc_provider.fixture import oidc_provider, sso  # noqa: F401
from tests.worker import celery_services, celery_worker, own_redis  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counts live in the shared cache and every API call is counted: each test starts at zero."""
    cache.clear()
    caches["local"].clear()  # campaigns, verticals, webhooks remembered by this process
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


@pytest.fixture
def private_webhooks(settings, monkeypatch):
    """Webhooks may call 127.0.0.1 (the test receivers), here and in any worker started after this."""
    settings.ALIGNMENT_WEBHOOK_ALLOW_PRIVATE = True
    monkeypatch.setenv("ALIGNMENT_WEBHOOK_ALLOW_PRIVATE", "1")


@pytest.fixture
def webhook(manager, private_webhooks):
    """A webhook on every event, to a URL nobody listens on (the tests of the relay bring a receiver)."""
    from alignment.webhooks.services import webhook_endpoint_create

    return webhook_endpoint_create(url="http://127.0.0.1:9/hook", events=["*"], by=manager)
