"""CSV import: the services on small files, and the page and API around them.

The import task itself is called directly here; tests/leads/test_tasks.py runs it through a real
worker on Redis.
"""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from alignment.errors import NotAllowed
from leads import imports
from leads.models import CaptureChannel, ImportChunk, ImportJob, ImportStatus, Lead, Touch
from tests.alignment.factories import MarketerFactory
from tests.leads.factories import CampaignFactory, LeadFactory


def imports_sent_to(sent):
    """A stand-in for the Celery app's `send_task` that records the import jobs sent."""

    def send_task(name, args=()):
        if name == imports.IMPORT_JOB_RUN_TASK:
            sent.append(args[0])

    return send_task


def _upload(content, name="leads.csv"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _import(content, *, by, campaign, django_capture_on_commit_callbacks):
    """Store the file (without enqueuing it) and run the import the way the worker does."""
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.import_job_create(by=by, campaign=campaign, upload=_upload(content))
    imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def run_import(marketer, campaign, django_capture_on_commit_callbacks):
    def run(content, *, by=None, campaign=campaign):
        return _import(
            content,
            by=by or marketer,
            campaign=campaign,
            django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
        )

    return run


# --- the import service -----------------------------------------------------------------------


def test_import_creates_leads_with_headers_matched_case_insensitively(run_import, marketer, campaign):
    content = (
        "Email,NAME,Company,Job Title,country,Region,Industry,Estimated Value,Notes,pain_points,Favourite colour\r\n"
        "ada@example.com,Ada Lovelace,Analytical Engines,CTO,de,Bavaria,Software,12000,met at the fair,"
        "slow reports,blue\r\n"
        "grace@example.com,Grace Hopper,Navy,,US,,,,,,green\r\n"
    )

    job = run_import(content)

    assert job.status == ImportStatus.DONE
    assert (job.rows_created, job.rows_duplicate, job.rows_failed) == (2, 0, 0)
    assert job.percent == 100
    assert job.processed_bytes == job.total_bytes == len(content.encode())
    assert "Ignored columns: Favourite colour." in job.message
    ada = Lead.objects.get(email="ada@example.com")
    assert (ada.name, ada.company, ada.title, ada.country, ada.region) == (
        "Ada Lovelace",
        "Analytical Engines",
        "CTO",
        "DE",
        "Bavaria",
    )
    assert ada.industry.name == "Software"
    assert str(ada.estimated_value) == "12000.00"
    assert (ada.notes, ada.pain_points) == ("met at the fair", "slow reports")
    assert ada.campaign == campaign
    assert ada.captured_by == marketer
    assert Touch.objects.get(lead=ada).channel == CaptureChannel.IMPORT
    # The stored file is gone once it has been read.
    assert not ImportChunk.objects.filter(job=job).exists()


def test_import_records_a_touch_for_known_emails_and_duplicates_within_the_file(run_import, campaign):
    known = LeadFactory(email="ada@example.com", name="Ada", campaign=campaign)
    content = "email,name\nADA@example.com ,Someone\nnew@example.com,New\nnew@example.com,New again\n"

    job = run_import(content)

    assert (job.rows_created, job.rows_duplicate, job.rows_failed) == (1, 2, 0)
    known.refresh_from_db()
    assert known.touch_count == 2
    assert known.name == "Ada"
    assert Lead.objects.get(email="new@example.com").touch_count == 2
    assert Lead.objects.count() == 2


def test_import_reports_bad_rows_with_line_numbers_and_keeps_the_good_ones(run_import):
    content = (
        "email,name,country,estimated_value\n"  # line 1
        "good1@example.com,One,DE,\n"  # 2
        "not-an-email,Two,DE,\n"  # 3
        ",Three,DE,\n"  # 4
        "good2@example.com,Four,Atlantis,\n"  # 5
        "\n"  # 6: blank, skipped
        'good3@example.com,"Five, with\na line break",FR,\n'  # 7-8
        "good4@example.com,Six,DE,lots\n"  # 9
        "good5@example.com,Seven,,-5\n"  # 10
        "good6@example.com,Eight,,100\n"  # 11
    )

    job = run_import(content)

    assert job.status == ImportStatus.DONE
    assert (job.rows_created, job.rows_duplicate, job.rows_failed) == (3, 0, 5)
    assert job.errors == [
        {"line": 3, "reason": "email: Enter a valid email address."},
        {"line": 4, "reason": "email: An email address is required."},
        {
            "line": 5,
            "reason": "country: Unknown country “Atlantis”: use an ISO code (e.g. DE) or the English name (Germany).",
        },
        {"line": 9, "reason": "estimated_value: Enter a positive amount."},
        {"line": 10, "reason": "estimated_value: Enter a positive amount."},
    ]
    assert set(Lead.objects.values_list("email", flat=True)) == {
        "good1@example.com",
        "good3@example.com",
        "good6@example.com",
    }
    assert Lead.objects.get(email="good3@example.com").name == "Five, with\na line break"


def test_import_reads_utf8_with_a_byte_order_mark(run_import):
    content = "\ufeffEmail,Name\nzoe@example.com,Zoë\n"

    job = run_import(content.encode("utf-8"))

    assert job.status == ImportStatus.DONE
    assert job.rows_created == 1
    assert Lead.objects.get(email="zoe@example.com").name == "Zoë"


def test_import_decodes_characters_split_across_chunks(run_import, monkeypatch):
    # given chunks of 7 bytes, so multi-byte characters and lines straddle chunk boundaries
    monkeypatch.setattr(imports, "CHUNK_BYTES", 7)
    rows = [f"p{i}@example.com,Zoë Ørsted Ünal {i}" for i in range(20)]
    content = "email,name\n" + "\n".join(rows) + "\n"

    job = run_import(content)

    assert ImportJob.objects.get(pk=job.pk).rows_created == 20
    assert Lead.objects.get(email="p13@example.com").name == "Zoë Ørsted Ünal 13"


def test_import_of_a_file_that_is_not_utf8_fails_with_a_clear_message(run_import):
    content = "email,name\nrene@example.com,René\n".encode("latin-1")

    job = run_import(content)

    assert job.status == ImportStatus.FAILED
    assert "not UTF-8" in job.message
    assert not Lead.objects.exists()


def test_import_of_a_binary_file_fails_with_a_clear_message(run_import):
    job = run_import(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")

    assert job.status == ImportStatus.FAILED
    assert "not UTF-8" in job.message


def test_import_of_an_empty_file_fails_and_says_so(run_import):
    job = run_import(b"")

    assert job.status == ImportStatus.FAILED
    assert job.message == "The file is empty: there is no header row."


def test_import_of_a_header_only_file_finishes_with_nothing_to_do(run_import):
    job = run_import("email,name\r\n")

    assert job.status == ImportStatus.DONE
    assert (job.rows_created, job.rows_duplicate, job.rows_failed) == (0, 0, 0)
    assert "The file has a header but no rows." in job.message


def test_import_without_an_email_column_fails_and_names_the_columns_found(run_import):
    job = run_import("name,company\nAda,Engines\n")

    assert job.status == ImportStatus.FAILED
    assert "no “email” column" in job.message
    assert "name, company" in job.message
    assert not Lead.objects.exists()


def test_import_stores_formula_like_cells_as_text(run_import):
    content = 'email,name,company,notes\nf@example.com,=HYPERLINK("http://x"),+31 Corp,@SUM(A1)\n'

    run_import(content)

    lead = Lead.objects.get(email="f@example.com")
    assert (lead.name, lead.company, lead.notes) == ('=HYPERLINK("http://x")', "+31 Corp", "@SUM(A1)")


def test_import_lists_the_first_500_bad_rows_and_counts_them_all(run_import):
    content = "email\n" + "not-an-email\n" * 620 + "last@example.com\n"

    job = run_import(content)

    assert job.rows_failed == 620
    assert len(job.errors) == 500
    assert job.errors[-1] == {"line": 501, "reason": "email: Enter a valid email address."}
    assert job.rows_created == 1


def test_import_of_a_job_that_already_ran_does_nothing(run_import):
    job = run_import("email\na@example.com\n")

    assert imports.import_job_run(job_id=job.pk) is None

    job.refresh_from_db()
    assert (job.status, job.rows_created, job.rows_duplicate) == (ImportStatus.DONE, 1, 0)
    assert Lead.objects.get(email="a@example.com").touch_count == 1


def test_import_job_create_stores_the_file_in_chunks_and_enqueues_after_commit(
    marketer, campaign, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("alignment.enqueue.app.send_task", imports_sent_to(sent))
    monkeypatch.setattr(imports, "CHUNK_BYTES", 10)
    content = b"email\n" + b"a@example.com\n" * 3

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = imports.import_job_create(by=marketer, campaign=campaign, upload=_upload(content))
        assert sent == []

    assert len(callbacks) == 1
    assert sent == [job.pk]
    assert job.status == ImportStatus.QUEUED
    assert job.total_bytes == len(content)
    chunks = list(ImportChunk.objects.filter(job=job).order_by("seq"))
    assert all(len(bytes(chunk.data)) >= 10 for chunk in chunks[:-1])
    assert b"".join(bytes(chunk.data) for chunk in chunks) == content


def test_import_job_create_with_the_broker_down_keeps_the_job_queued_and_says_so(
    marketer, campaign, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(name, args=()):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("alignment.enqueue.app.send_task", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_job_create(by=marketer, campaign=campaign, upload=_upload("email\na@example.com\n"))

    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert "task queue is not answering" in job.message
    assert ImportChunk.objects.filter(job=job).exists()


def test_import_job_create_refuses_a_file_over_the_limit(marketer, campaign, settings):
    settings.ALIGNMENT_IMPORT_MAX_BYTES = 10

    with pytest.raises(imports.ImportTooLarge):
        imports.import_job_create(by=marketer, campaign=campaign, upload=_upload("email\na@example.com\n"))

    assert not ImportJob.objects.exists()


def test_import_job_create_is_for_marketers_and_managers(rep, campaign):
    with pytest.raises(NotAllowed):
        imports.import_job_create(by=rep, campaign=campaign, upload=_upload("email\na@example.com\n"))

    assert not ImportJob.objects.exists()


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def no_broker(monkeypatch):
    sent = []
    monkeypatch.setattr("alignment.enqueue.app.send_task", imports_sent_to(sent))
    return sent


def _api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_import_answers_202_with_the_job(marketer, campaign, no_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(marketer).post(
            "/api/leads/import/",
            {"file": _upload("email\na@example.com\n"), "campaign": campaign.pk},
            format="multipart",
        )

    assert response.status_code == 202, response.json()
    job = ImportJob.objects.get()
    assert response.json() == {
        "id": job.pk,
        "status": "queued",
        "filename": "leads.csv",
        "percent": 0,
        "rows_created": 0,
        "rows_duplicate": 0,
        "rows_failed": 0,
        "errors": [],
        "header": [],
        "failed_rows": [],
        "message": "",
        "url": f"/api/leads/import/{job.pk}/",
        "failed_rows_url": None,
    }
    assert no_broker == [job.pk]


def test_api_import_progress_after_the_run_shows_counts_and_errors(marketer, campaign, no_broker):
    response = _api(marketer).post(
        "/api/leads/import/",
        {"file": _upload("email\na@example.com\nbad\n"), "campaign": campaign.pk},
        format="multipart",
    )
    imports.import_job_run(job_id=response.json()["id"])

    progress = _api(marketer).get(response.json()["url"])

    assert progress.status_code == 200
    body = progress.json()
    assert (body["status"], body["percent"], body["rows_created"], body["rows_failed"]) == ("done", 100, 1, 1)
    assert body["errors"] == [{"line": 3, "reason": "email: Enter a valid email address."}]


def test_api_import_is_refused_to_reps_and_strangers(rep, campaign, no_broker):
    data = {"file": _upload("email\na@example.com\n"), "campaign": campaign.pk}

    assert _api(rep).post("/api/leads/import/", data, format="multipart").status_code == 403
    assert _api().post("/api/leads/import/", data, format="multipart").status_code in (401, 403)
    assert not ImportJob.objects.exists()


def test_api_import_progress_is_visible_to_its_creator_and_managers_only(
    marketer, manager, rep, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.import_job_create(by=marketer, campaign=campaign, upload=_upload("email\na@example.com\n"))
    url = f"/api/leads/import/{job.pk}/"

    assert _api(marketer).get(url).status_code == 200
    assert _api(manager).get(url).status_code == 200
    for stranger in (MarketerFactory(), rep):
        response = _api(stranger).get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"campaign": "1"}, "file"),
        ({"file": "not a file", "campaign": "1"}, "file"),
        ({"file": True}, "campaign"),
    ],
)
def test_api_import_with_missing_fields_answers_400_naming_the_field(marketer, campaign, no_broker, data, field):
    if data.get("file") is True:
        data = {"file": _upload("email\n")}

    response = _api(marketer).post("/api/leads/import/", data, format="multipart")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not ImportJob.objects.exists()


def test_api_import_into_an_unknown_or_inactive_campaign_answers_400(marketer, no_broker):
    inactive = CampaignFactory(active=False)

    for campaign_id in (inactive.pk, 999999):
        response = _api(marketer).post(
            "/api/leads/import/", {"file": _upload("email\n"), "campaign": campaign_id}, format="multipart"
        )
        assert response.status_code == 400
        assert "campaign" in response.json()["fields"]
    assert not ImportJob.objects.exists()


def test_api_import_over_the_size_limit_answers_413(marketer, campaign, settings, no_broker):
    settings.ALIGNMENT_IMPORT_MAX_BYTES = 1024
    big = "email\n" + "someone@example.com\n" * 5000  # ~100 kB: past the limit and the form allowance

    response = _api(marketer).post(
        "/api/leads/import/", {"file": _upload(big), "campaign": campaign.pk}, format="multipart"
    )

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not ImportJob.objects.exists()


def test_api_import_accepts_files_beyond_the_request_body_limit(marketer, campaign, settings, no_broker):
    # given a file larger than DATA_UPLOAD_MAX_MEMORY_SIZE (1 MB): multipart files stream to disk
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    content = "email\n" + "".join(f"p{i}@example.com\n" for i in range(200))

    response = _api(marketer).post(
        "/api/leads/import/", {"file": _upload(content), "campaign": campaign.pk}, format="multipart"
    )

    assert response.status_code == 202
    assert ImportJob.objects.get().total_bytes == len(content)


# --- the pages --------------------------------------------------------------------------------


def test_import_page_uploads_and_redirects_to_the_progress_page(client, marketer, campaign, no_broker):
    client.force_login(marketer)
    assert client.get("/leads/import/").status_code == 200

    response = client.post("/leads/import/", {"campaign": campaign.pk, "file": _upload("email\na@example.com\n")})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:import-detail", args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'hx-trigger="every 1s"' in page.content


def test_import_page_shows_the_error_report_and_stops_polling_when_done(client, marketer, campaign, no_broker):
    client.force_login(marketer)
    client.post("/leads/import/", {"campaign": campaign.pk, "file": _upload("email\na@example.com\n<b>bad</b>\n")})
    job = ImportJob.objects.get()
    imports.import_job_run(job_id=job.pk)

    partial = client.get(reverse("leads:import-progress", args=[job.pk]))

    html = partial.content.decode()
    assert partial.status_code == 200
    assert "hx-trigger" not in html
    assert '<progress value="100"' in html
    assert "<td>3</td><td>email: Enter a valid email address.</td>" in html


def test_import_page_without_a_file_shows_the_error_and_stores_nothing(client, marketer, campaign):
    client.force_login(marketer)

    response = client.post("/leads/import/", {"campaign": campaign.pk})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_import_page_refuses_a_file_over_the_limit_with_413(client, marketer, campaign, settings):
    settings.ALIGNMENT_IMPORT_MAX_BYTES = 1024
    client.force_login(marketer)

    response = client.post(
        "/leads/import/", {"campaign": campaign.pk, "file": _upload("email\n" + "x@example.com\n" * 10000)}
    )

    assert response.status_code == 413
    assert "The file is too large" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_import_pages_are_for_marketers_and_managers(
    client, rep, marketer, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.import_job_create(by=marketer, campaign=campaign, upload=_upload("email\n"))
    client.force_login(rep)

    assert client.get("/leads/import/").status_code == 403
    assert client.get(reverse("leads:import-detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("leads:import-progress", args=[job.pk])).status_code == 404


def test_import_page_offers_to_start_again_when_the_broker_was_down(
    client, marketer, campaign, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        "alignment.enqueue.app.send_task", lambda name, args=(): (_ for _ in ()).throw(OperationalError())
    )
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/leads/import/", {"campaign": campaign.pk, "file": _upload("email\na@example.com\n")})
    job = ImportJob.objects.get()
    page = client.get(reverse("leads:import-detail", args=[job.pk])).content.decode()
    assert "The task queue is not answering" in page
    sent = []
    monkeypatch.setattr("alignment.enqueue.app.send_task", imports_sent_to(sent))

    response = client.post(reverse("leads:import-retry", args=[job.pk]))

    assert response.status_code == 302
    assert sent == [job.pk]
    job.refresh_from_db()
    assert job.message == ""


def test_api_import_retried_with_the_same_idempotency_key_creates_one_job(marketer, campaign, no_broker):
    def post():
        return _api(marketer).post(
            "/api/leads/import/",
            {"file": _upload("email\na@example.com\n"), "campaign": campaign.pk},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="import-1",
        )

    first, again = post(), post()

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert ImportJob.objects.count() == 1


class _WorkerDied(BaseException):
    """Stands for a worker killed mid-import: nothing in the import may catch it."""


def _dies_in_batch(monkeypatch, number):
    """The worker dies while capturing its `number`th batch of rows."""
    calls = []
    real = imports.lead_capture_rows

    def capture(**kwargs):
        calls.append(kwargs["items"])
        if len(calls) == number:
            raise _WorkerDied
        return real(**kwargs)

    monkeypatch.setattr(imports, "lead_capture_rows", capture)


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="resuming takes PostgreSQL's session locks"
)
def test_import_resumes_after_its_worker_died_without_capturing_a_row_twice(
    marketer, campaign, monkeypatch, django_capture_on_commit_callbacks
):
    # given an import that dies in its third batch of two rows
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)
    content = "email,name\n" + "".join(f"p{i}@example.com,P{i}\n" for i in range(1, 8)) + "bad,Bad\n"
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.import_job_create(by=marketer, campaign=campaign, upload=_upload(content))
    _dies_in_batch(monkeypatch, 3)
    with pytest.raises(_WorkerDied):
        imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_created) == (ImportStatus.RUNNING, 4)
    assert job.processed_bytes == len("email,name\n") + sum(len(f"p{i}@example.com,P{i}\n") for i in range(1, 5))
    monkeypatch.undo()

    # when the task is delivered again
    imports.import_job_run(job_id=job.pk)

    # then it carried on where the dead run stopped: every row once, line numbers intact
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.rows_created, job.rows_duplicate, job.rows_failed) == (7, 0, 1)
    assert job.errors == [{"line": 9, "reason": "email: Enter a valid email address."}]
    assert set(Lead.objects.values_list("touch_count", flat=True)) == {1}


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="the run lock is PostgreSQL's")
def test_import_delivered_again_while_it_runs_does_nothing(marketer, campaign, django_capture_on_commit_callbacks):
    from django.db import connection

    with django_capture_on_commit_callbacks(execute=False):
        job = imports.import_job_create(by=marketer, campaign=campaign, upload=_upload("email\na@example.com\n"))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)

    # given another session holds the job's run lock (its first delivery, still running)
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [imports.RUN_LOCK_NAMESPACE, job.pk])

        assert imports.import_job_run(job_id=job.pk) is None
    finally:
        other.close()

    assert not Lead.objects.exists()


def test_import_page_still_checks_the_csrf_token(marketer, campaign, no_broker):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(marketer)

    response = client.post("/leads/import/", {"campaign": campaign.pk, "file": _upload("email\na@example.com\n")})

    assert response.status_code == 403
    assert not ImportJob.objects.exists()
