"""An import's bad rows: shown with what they held, and downloadable to fix and import again."""

import csv
import io

from django.urls import reverse
from rest_framework.test import APIClient

from leads import imports
from leads.models import ImportJob, Lead
from tests.leads.test_imports import run_import  # noqa: F401

FILE = (
    "Email,Name,Notes\n"  # line 1
    "good@example.com,Good,\n"  # 2
    'not-an-email,=HYPERLINK("http://x"),call back\n'  # 3
    f"{'a' * 250}@example.com,Long,\n"  # 4
    "-1@,@admin,\tTabbed\n"  # 5
)


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_an_email_over_254_characters_is_a_row_error(run_import):  # noqa: F811
    job = run_import(FILE)

    assert {"line": 4, "reason": "email: At most 254 characters."} in job.errors
    assert set(Lead.objects.values_list("email", flat=True)) == {"good@example.com"}


def test_the_report_keeps_each_bad_rows_cells_under_the_files_header(run_import):  # noqa: F811
    job = run_import(FILE)

    assert job.header == ["Email", "Name", "Notes"]
    assert [row["line"] for row in job.failed_rows] == [error["line"] for error in job.errors] == [3, 4, 5]
    assert job.failed_rows[0]["values"] == ["not-an-email", '=HYPERLINK("http://x")', "call back"]


def test_the_failed_rows_download_is_a_csv_to_fix_and_import_again_with_formulas_neutralised(run_import):  # noqa: F811
    job = run_import(FILE)

    rows = _rows(imports.import_failed_rows_csv(job))

    assert rows[0] == ["Email", "Name", "Notes", "Import errors"]
    assert rows[1] == ["not-an-email", '\'=HYPERLINK("http://x")', "call back", "email: Enter a valid email address."]
    assert rows[2][0] == "a" * 250 + "@example.com"
    assert rows[3] == ["'-1@", "'@admin", "'\tTabbed", "email: Enter a valid email address."]
    assert len(rows) == 4


def test_the_page_shows_each_bad_row_and_offers_the_download(client, marketer, run_import):  # noqa: F811
    job = run_import(FILE)
    client.force_login(marketer)

    page = client.get(reverse("leads:import-detail", args=[job.pk])).content.decode()
    download = client.get(reverse("leads:import-failed-rows", args=[job.pk]))

    assert "not-an-email,&quot;=HYPERLINK(&quot;&quot;http://x&quot;&quot;)&quot;,call back" in page
    assert reverse("leads:import-failed-rows", args=[job.pk]) in page
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert 'filename="leads-failed-rows.csv"' in download["Content-Disposition"]
    assert _rows(download.content.decode())[1][0] == "not-an-email"


def test_the_api_report_carries_the_rows_and_the_download(marketer, run_import):  # noqa: F811
    job = run_import(FILE)
    api = APIClient()
    api.force_authenticate(marketer)

    body = api.get(f"/api/leads/import/{job.pk}/").json()
    download = api.get(body["failed_rows_url"])

    assert body["header"] == ["Email", "Name", "Notes"]
    assert body["failed_rows"][0] == {"line": 3, "values": ["not-an-email", '=HYPERLINK("http://x")', "call back"]}
    assert body["failed_rows_url"] == f"/api/leads/import/{job.pk}/failed-rows/"
    assert download.status_code == 200
    assert _rows(download.content.decode())[1][1] == '\'=HYPERLINK("http://x")'


def test_a_clean_import_offers_no_download(client, marketer, run_import):  # noqa: F811
    job = run_import("email\nok@example.com\n")
    api = APIClient()
    api.force_authenticate(marketer)

    assert api.get(f"/api/leads/import/{job.pk}/").json()["failed_rows_url"] is None
    client.force_login(marketer)
    assert "import-failed-rows" not in client.get(reverse("leads:import-detail", args=[job.pk])).content.decode()


def test_the_failed_rows_are_only_for_those_who_may_see_the_import(client, rep, run_import):  # noqa: F811
    job = run_import(FILE)
    client.force_login(rep)
    api = APIClient()
    api.force_authenticate(rep)

    assert client.get(reverse("leads:import-failed-rows", args=[job.pk])).status_code == 404
    assert api.get(f"/api/leads/import/{job.pk}/failed-rows/").status_code == 404
    assert ImportJob.objects.filter(pk=job.pk).exists()


def test_every_problem_of_a_row_is_reported_on_the_page_the_api_and_the_download(
    client,
    marketer,
    run_import,  # noqa: F811
):
    # given: a row with a bad country and a bad value
    job = run_import("email,country,estimated_value\nok@example.com,DE,\nbad@example.com,Atlantis,lots\n")
    client.force_login(marketer)
    api = APIClient()
    api.force_authenticate(marketer)

    # when
    page = " ".join(client.get(reverse("leads:import-detail", args=[job.pk])).content.decode().split())
    report = api.get(f"/api/leads/import/{job.pk}/").json()
    rows = _rows(api.get(f"/api/leads/import/{job.pk}/failed-rows/").content.decode())

    # then: both problems, in each
    country = "country: Unknown country “Atlantis”: use an ISO code (e.g. DE) or the English name (Germany)."
    value = "estimated_value: Enter a positive amount."
    assert report["errors"] == [{"line": 3, "reason": f"{country}; {value}"}]
    assert country in page and value in page
    assert rows[1] == ["bad@example.com", "Atlantis", "lots", f"{country}; {value}"]


def test_the_fixed_failed_rows_file_imports_without_naming_the_errors_column(run_import):  # noqa: F811
    first = run_import("email,country\nbad@example.com,Atlantis\n")
    fixed = imports.import_failed_rows_csv(first).replace("Atlantis", "DE")

    again = run_import(fixed)

    assert (again.rows_created, again.rows_failed) == (1, 0)
    assert "Import errors" not in again.message
    assert Lead.objects.get(email="bad@example.com").country == "DE"
