"""Lead tasks: called directly for their logic, and through a real worker on Redis for the wiring."""

import os
import signal
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from leads import imports
from leads.models import ImportJob, ImportStatus, Lead
from leads.tasks import import_job_run

WORKER_TIMEOUT = 60


def _csv(content: str):
    return SimpleUploadedFile("leads.csv", content.encode("utf-8"), content_type="text/csv")


def test_import_job_run_task_imports_the_job_once(marketer, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.import_job_create(by=marketer, campaign=campaign, upload=_csv("email\na@example.com\n"))

    import_job_run(job.pk)
    import_job_run(job.pk)  # delivered twice

    job.refresh_from_db()
    assert (job.status, job.rows_created, job.rows_duplicate) == (ImportStatus.DONE, 1, 0)
    assert Lead.objects.get().touch_count == 1


def test_import_job_run_task_for_a_missing_job_does_nothing(db):
    assert import_job_run(123456) is None


def _wait_until_finished(job_id, worker):
    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return job
        assert worker.alive(), worker.log()
        time.sleep(0.2)
    raise AssertionError(f"The import did not finish within {WORKER_TIMEOUT}s:\n{worker.log()}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_import_through_the_api_runs_in_a_real_worker(celery_worker, marketer, campaign):
    # given a file with good, known, and bad rows
    rows = [f"person{i}@example.com,Person {i},Company {i % 7}" for i in range(1, 301)]
    content = "email,name,company\n" + "\n".join(rows) + "\nperson1@example.com,Again,\nnot-an-email,Bad,\n"
    client = APIClient()
    client.force_authenticate(marketer)

    # when it is uploaded, the upload commits and is enqueued on the Redis broker
    response = client.post("/api/leads/import/", {"file": _csv(content), "campaign": campaign.pk}, format="multipart")
    assert response.status_code == 202, response.content
    job = _wait_until_finished(response.json()["id"], celery_worker)

    # then the worker imported it
    assert job.status == ImportStatus.DONE, job.message
    assert (job.rows_created, job.rows_duplicate, job.rows_failed) == (300, 1, 1)
    assert job.errors == [{"line": 303, "reason": "email: Enter a valid email address."}]
    assert Lead.objects.count() == 300
    assert Lead.objects.get(email="person1@example.com").touch_count == 2
    progress = client.get(response.json()["url"]).json()
    assert (progress["status"], progress["percent"]) == ("done", 100)
    # and it was that worker, through the broker, that ran it
    assert "Task leads.tasks.import_job_run[" in celery_worker.log()


def _pool_children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_import_whose_worker_process_is_killed_resumes_and_captures_each_row_once(
    celery_worker, marketer, campaign, monkeypatch
):
    # given an import of a few thousand rows, running in the worker's pool process
    rows = 3000
    content = "email,name\n" + "".join(f"p{i}@example.com,P{i}\n" for i in range(rows))
    client = APIClient()
    client.force_authenticate(marketer)
    response = client.post("/api/leads/import/", {"file": _csv(content), "campaign": campaign.pk}, format="multipart")
    job_id = response.json()["id"]
    deadline = time.monotonic() + WORKER_TIMEOUT
    while ImportJob.objects.get(pk=job_id).rows_created == 0:
        assert time.monotonic() < deadline, celery_worker.log()
        time.sleep(0.05)

    # when the pool process running it is killed mid-import
    (child,) = _pool_children(celery_worker.pid)
    os.kill(child, signal.SIGKILL)
    job = _wait_until_finished(job_id, celery_worker)

    # then the requeued task resumed it: every row exactly once
    assert f"Import job {job_id}: resuming after byte" in celery_worker.log()
    assert job.status == ImportStatus.DONE, job.message
    assert (job.rows_created, job.rows_duplicate, job.rows_failed) == (rows, 0, 0)
    assert Lead.objects.count() == rows
    assert set(Lead.objects.values_list("touch_count", flat=True)) == {1}
