from datetime import timedelta

import pytest
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone

from alignment.pagination import keyset_page
from leads.models import Lead
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _page(query, **kwargs):
    return keyset_page(Lead.objects.all(), RequestFactory().get("/", query), **kwargs)


def test_keyset_page_walks_the_list_and_keeps_the_other_parameters():
    leads = LeadFactory.create_batch(5)

    first = _page({"status": "new"}, ordering=("-id",), size=2)
    assert [lead.id for lead in first.items] == [leads[4].id, leads[3].id]
    assert first.is_first_page
    assert first.next_query == f"status=new&after={leads[3].id}"

    second = _page({"status": "new", "after": str(leads[3].id)}, ordering=("-id",), size=2)
    assert [lead.id for lead in second.items] == [leads[2].id, leads[1].id]
    assert not second.is_first_page
    assert second.first_query == "status=new"

    last = _page({"after": str(leads[1].id)}, ordering=("-id",), size=2)
    assert [lead.id for lead in last.items] == [leads[0].id]
    assert last.next_query is None and not last.has_next


def test_keyset_page_on_two_keys_neither_repeats_nor_skips_rows_with_the_same_time():
    now = timezone.now()
    LeadFactory.create_batch(3, captured_at=now)
    LeadFactory.create_batch(2, captured_at=now - timedelta(hours=1))
    expected = list(Lead.objects.order_by("captured_at", "id").values_list("id", flat=True))

    seen, query = [], {}
    while True:
        page = _page(query, ordering=("captured_at", "id"), param="from", size=2)
        seen += [lead.id for lead in page.items]
        if not page.has_next:
            break
        query = QueryDict(page.next_query).dict()

    assert seen == expected


@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        (("-id",), ""),
        (("-id",), "abc"),
        (("-id",), "12~13"),
        (("captured_at", "id"), "12"),
        (("captured_at", "id"), "not-a-time~4"),
        (("captured_at", "id"), "2026-01-01T00:00:00+00:00~x"),
    ],
)
def test_keyset_page_ignores_a_bad_cursor(ordering, cursor):
    leads = LeadFactory.create_batch(3)

    page = _page({"after": cursor}, ordering=ordering, size=10)

    assert page.is_first_page
    assert {lead.id for lead in page.items} == {lead.id for lead in leads}


def test_keyset_page_walks_back_to_the_page_before_and_on_to_the_first():
    now = timezone.now()
    LeadFactory.create_batch(3, captured_at=now)
    LeadFactory.create_batch(2, captured_at=now - timedelta(hours=1))
    expected = list(Lead.objects.order_by("captured_at", "id").values_list("id", flat=True))
    walk = {"ordering": ("captured_at", "id"), "previous_param": "before", "size": 2}

    # given the last page, reached forwards
    first = _page({"q": "x"}, **walk)
    assert first.previous_query is None
    second = _page(QueryDict(first.next_query).dict(), **walk)
    third = _page(QueryDict(second.next_query).dict(), **walk)
    assert [lead.id for lead in third.items] == expected[4:]

    # when the reader goes back from it, twice
    back = _page(QueryDict(third.previous_query).dict(), **walk)
    front = _page(QueryDict(back.previous_query).dict(), **walk)

    # then the pages are the ones seen on the way, in the list's order, and the first knows it is first
    assert [lead.id for lead in back.items] == expected[2:4]
    assert not back.is_first_page and QueryDict(back.next_query)["after"]
    assert [lead.id for lead in front.items] == expected[:2]
    assert front.is_first_page and front.previous_query is None
    assert QueryDict(front.next_query).dict() == QueryDict(first.next_query).dict()
    assert "q=x" in front.next_query and "before" not in front.next_query
