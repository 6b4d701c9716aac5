"""Services send their tasks by name (`alignment.enqueue.task_send`): the names must be the tasks'
own, a broker that is down is logged and never raised, and the debugging switch that runs tasks in
the web process still does."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from alignment.celery import app
from alignment.enqueue import task_send
from alignment.models import IdempotencyRecord
from alignment.services import NOTIFICATION_EMAIL_TASK
from alignment.webhooks.outbox import WEBHOOK_RELAY_TASK
from leads.imports import IMPORT_JOB_RUN_TASK


def test_every_task_a_service_sends_is_a_registered_task():
    app.loader.import_default_modules()

    assert {NOTIFICATION_EMAIL_TASK, WEBHOOK_RELAY_TASK, IMPORT_JOB_RUN_TASK} <= set(app.tasks)


@pytest.fixture
def closed_broker(monkeypatch):
    def use_broker(url):
        # kombu keeps its pools per broker URL: drop the app's, so the next publish uses the new one.
        app.conf.broker_write_url = url
        app._pool = None
        app.amqp._producer_pool = None

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    use_broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    yield
    use_broker(None)


def test_a_broker_that_is_down_answers_false_and_logs_never_raises(closed_broker, caplog):
    with caplog.at_level(logging.WARNING, logger="alignment.enqueue"):
        sent = task_send(WEBHOOK_RELAY_TASK)

    assert sent is False
    assert f"Could not enqueue {WEBHOOK_RELAY_TASK}: the broker is unavailable." in caplog.text


def test_with_tasks_always_eager_the_task_runs_in_this_process(marketer, monkeypatch):
    # given a key two days old, and the debugging switch on
    record = IdempotencyRecord.objects.create(user=marketer, key="old", method="POST", path="/", request_hash="x")
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=2))
    monkeypatch.setitem(app.conf, "task_always_eager", True)

    # when its prune is sent by name
    sent = task_send("alignment.tasks.idempotency_records_prune")

    # then it ran here and then
    assert sent is True
    assert not IdempotencyRecord.objects.exists()
