"""The admin of the revenue goals and the digest's deliveries: every list and change page renders,
and no list runs a query per row."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.models import DigestDelivery, RevenueGoal
from tests.alignment.factories import ManagerFactory, RepFactory


def _world():
    rep, manager = RepFactory(), ManagerFactory()
    RevenueGoal.objects.create(
        period="month",
        starts_on=date(2020, 1, rep.pk % 28 + 1),
        amount=Decimal("1000"),
        set_by=manager,
        set_at=timezone.now(),
    )
    DigestDelivery.objects.create(week=date(2020, 1, rep.pk % 28 + 1), member=rep)


def _model_admins():
    return [model for model in admin.site._registry if model._meta.app_label == "dashboard"]


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@pytest.mark.django_db
def test_dashboard_admin_lists_run_the_same_queries_however_many_rows(client):
    client.force_login(ManagerFactory(is_staff=True, is_superuser=True))
    _world()
    lists = {model: reverse(f"admin:dashboard_{model._meta.model_name}_changelist") for model in _model_admins()}
    before = {model: _queries(client, url) for model, url in lists.items()}

    _world()
    _world()

    assert {model: _queries(client, url) for model, url in lists.items()} == before
    assert set(before) == {RevenueGoal, DigestDelivery}


@pytest.mark.django_db
def test_dashboard_admin_change_pages_render(client):
    client.force_login(ManagerFactory(is_staff=True, is_superuser=True))
    _world()

    for model in _model_admins():
        obj = model.objects.order_by("pk").first()
        assert client.get(reverse(f"admin:dashboard_{model._meta.model_name}_change", args=[obj.pk])).status_code == 200


@pytest.mark.django_db
def test_dashboard_admin_permissions_belong_to_the_dashboard_app():
    assert Permission.objects.filter(content_type__app_label="dashboard", codename="change_revenuegoal").exists()
    assert not Permission.objects.filter(content_type__app_label="alignment", codename__endswith="revenuegoal").exists()
