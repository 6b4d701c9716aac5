"""A person's own lists read only their own rows: on PostgreSQL an index serves each of them, so a
marketer's home and a rep's lead list cost the same at a million leads as at twenty thousand."""

import pytest
from django.db import connection

from leads.models import LeadStatus
from leads.selectors import lead_list_for_user
from leads.services import lead_hand_off
from tests.leads.factories import LeadFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans are PostgreSQL's"),
]


def _plan(sql, params) -> str:
    with connection.cursor() as cursor:
        # Without a sequential scan or a walk of the primary key to fall back on (a table of a few
        # rows would rather have either), the plan shows which index can serve the filter.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_count_of_a_marketers_sent_back_leads_reads_their_own_index_entries(marketer, campaign):
    LeadFactory.create_batch(3, campaign=campaign, captured_by=marketer, status=LeadStatus.REJECTED)
    returned = lead_list_for_user(user=marketer, filters={"status": LeadStatus.REJECTED, "captured_by": marketer.id})
    sql, params = returned.values("id").query.sql_with_params()

    plan = _plan(f"SELECT count(*) FROM ({sql}) AS returned", params)

    assert "lead_captured_by_status" in plan, plan
    assert returned.count() == 3


def test_what_a_rep_may_see_reads_the_handoffs_to_them_from_an_index(marketer, rep, campaign):
    lead = LeadFactory(campaign=campaign)
    lead_hand_off(lead=lead, rep=rep, note="Wants a demo.", by=marketer)
    sql, params = lead_list_for_user(user=rep).query.sql_with_params()

    plan = _plan(sql, params)

    assert "Index Only Scan using handoff_rep_lead" in plan, plan
    assert [seen.pk for seen in lead_list_for_user(user=rep)] == [lead.pk]
