"""One date format for the locale: pages, tables, the audit log and emails write a day as "7 Dec 2026"
and a moment as "7 Dec 2026, 14:05", never Django's "Dec. 7, 2026" or an ISO string."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import formats

from alignment.audit import audit_record
from alignment.models import AuditArea
from dashboard.models import RevenueGoal
from tests.alignment.factories import ManagerFactory

pytestmark = pytest.mark.django_db

AMERICAN = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}")
ISO_SHOWN = re.compile(r">\s*\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?\s*<")


def test_the_locale_formats_are_the_products():
    assert formats.date_format(date(2026, 12, 7)) == "7 Dec 2026"
    assert formats.date_format(datetime(2026, 12, 7, 14, 5, tzinfo=UTC), "SHORT_DATETIME_FORMAT") == "7 Dec 2026, 14:05"


def test_pages_and_the_audit_log_write_dates_one_way(client):
    manager = ManagerFactory()
    RevenueGoal.objects.create(
        period="quarter",
        starts_on=date(2026, 10, 1),
        amount=Decimal("1000"),
        set_by=manager,
        set_at=datetime(2026, 10, 2, 9, 30, tzinfo=UTC),
    )
    audit_record(actor=manager, area=AuditArea.GOAL, action="created", target="Quarter", changes={})
    client.force_login(manager)

    pages = {
        name: client.get(reverse(name)).content.decode()
        for name in ("dashboard:goal", "alignment:audit-log", "dashboard:digest", "dashboard:dashboard")
    }

    assert "1 Oct 2026" in pages["dashboard:goal"]
    assert "2 Oct 2026, 09:30" in pages["dashboard:goal"] or "2 Oct 2026, 10:30" in pages["dashboard:goal"]
    for name, html in pages.items():
        assert not AMERICAN.search(html), (name, AMERICAN.search(html).group(0))
        assert not ISO_SHOWN.search(html), (name, ISO_SHOWN.search(html).group(0))
