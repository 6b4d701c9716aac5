"""Injection: what users type comes back as text. Pages escape markup, CSV downloads neutralise
formulas, and no template or Python code marks user data safe."""

import csv
import io
import re
from pathlib import Path

from django.utils.html import escape

from alignment.spreadsheets import CSV_DANGEROUS_PREFIXES
from feedback.services import feedback_reply, lead_reject_with_feedback, verdict_give
from leads.models import ImportJob
from leads.rollup import lead_days_rebuild
from leads.services import lead_accept, lead_hand_off
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.leads.factories import CampaignFactory, LeadFactory

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORMULAS = ['=HYPERLINK("http://x")', "@SUM(1)", "+1", "-1", "\tpasted"]

# Uses of autoescape-off or safe-marking that exist, each reviewed: (file, the text) -> why it is safe.
REVIEWED = {
    (
        "templates/dashboard/digest_email.txt",
        "autoescape off",
    ): "the text/plain body of an email: no HTML to inject into",
    ("templates/emails/notification.txt", "autoescape off"): "the text/plain body of an email: no HTML to inject into",
    ("alignment/templatetags/alignment_tags.py", "format_html"): (
        "in_place_form: format_html escapes every value it puts into the form's attributes (a URL and an id)"
    ),
}
UNSAFE = re.compile(r"\|\s*safe\b|\bsafeseq\b|\bmark_safe\b|\bformat_html\b|\bSafeString\b|autoescape off")


def test_nothing_marks_user_data_safe():
    found = set()
    for folder in ("templates", "alignment", "leads", "feedback", "dashboard"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".html", ".txt", ".py") or "migrations" in path.parts:
                continue
            for match in UNSAFE.finditer(path.read_text(encoding="utf-8")):
                found.add((str(path.relative_to(ROOT)), match.group(0)))
    assert found == set(REVIEWED), "a new safe-marking: escape the data instead, or review it here"


def test_pages_show_markup_a_user_typed_as_text(client, db):
    # given every text a user types holding markup
    marketer, rep = MarketerFactory(), RepFactory()
    campaign = CampaignFactory(owner=marketer, name=f"Fair {SCRIPT}")
    lead = LeadFactory(
        campaign=campaign,
        name=f"Ann {SCRIPT}",
        company=f"ACME {IMG}",
        title=f"CTO {SCRIPT}",
        phone=f"+49 {IMG}",
        region=f"Bavaria {IMG}",
        notes=f"Notes {SCRIPT}",
        pain_points=f"Pain {IMG}",
    )
    lead_hand_off(lead=lead, rep=rep, note=f"Story {SCRIPT}", by=marketer)
    lead_reject_with_feedback(lead=lead, by=rep, reason="not_icp", note=f"Reason {IMG}")
    item = lead.feedback_items.get()
    feedback_reply(item=item, by=marketer, body=f"Reply {SCRIPT}")

    # when marketing and sales read the pages that show them
    pages = {}
    for user, urls in (
        (marketer, ["/leads/", f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/", "/feedback/", f"/feedback/{item.pk}/"]),
        (marketer, ["/", "/feedback/campaigns/", "/dashboard/"]),
        (rep, ["/", f"/leads/{lead.pk}/", f"/feedback/{item.pk}/", "/notifications/"]),
    ):
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            pages[(user.username, url)] = response.content.decode()

    # then no page carries the markup, and the pages that show a text show it escaped
    for where, html in pages.items():
        assert SCRIPT not in html and "<img src=x" not in html, where
    detail = pages[(marketer.username, f"/leads/{lead.pk}/")]
    for text in (f"Ann {SCRIPT}", f"ACME {IMG}", f"CTO {SCRIPT}", f"Notes {SCRIPT}", f"Story {SCRIPT}"):
        assert escape(text) in detail, text
    item_page = pages[(rep.username, f"/feedback/{item.pk}/")]
    assert escape(f"Reply {SCRIPT}") in item_page and escape(f"Reason {IMG}") in item_page
    assert escape(f"Fair {SCRIPT}") in pages[(marketer.username, "/feedback/campaigns/")]


def assert_no_formula(text):
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(CSV_DANGEROUS_PREFIXES), repr(cell)


def test_an_imports_failed_rows_download_runs_no_formula(client, db):
    marketer = MarketerFactory()
    job = ImportJob.objects.create(
        by=marketer,
        campaign=CampaignFactory(owner=marketer),
        filename="fair.csv",
        status="done",
        header=["email", *FORMULAS],
        failed_rows=[{"line": 2, "values": ["bad-email", *FORMULAS], "errors": ["email: invalid"]}],
        rows_failed=1,
    )
    client.force_login(marketer)

    for url in (f"/leads/import/{job.pk}/failed-rows.csv", f"/api/leads/import/{job.pk}/failed-rows/"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert_no_formula(text)
        assert "'" + FORMULAS[0] in list(csv.reader(io.StringIO(text)))[1]


def test_dashboard_exports_run_no_formula(client, db):
    marketer, rep = MarketerFactory(), RepFactory()
    for name in FORMULAS:
        lead = LeadFactory(campaign=CampaignFactory(owner=marketer, name=name))
        lead_hand_off(lead=lead, rep=rep, note="Wants a demo.", by=marketer)
        lead_accept(lead=lead, by=rep)
        verdict_give(lead=lead, by=rep, verdict="good")
    lead_days_rebuild()  # built by hand: rolled up as `rebuild_dashboard` does
    client.force_login(marketer)

    response = client.get("/dashboard/export/quality_by_campaign.csv")

    assert response.status_code == 200
    text = response.content.decode()
    assert_no_formula(text)
    assert {row[0] for row in csv.reader(io.StringIO(text))} >= {"'" + name for name in FORMULAS}
