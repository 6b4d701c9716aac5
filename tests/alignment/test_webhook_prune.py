"""Pruning the outbox: sent and failed events go after ALIGNMENT_WEBHOOK_KEEP_DAYS; pending ones stay."""

from datetime import timedelta

from django.utils import timezone

from alignment.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from alignment.tasks import webhook_events_prune as prune_task
from alignment.webhooks.outbox import webhook_event_emit, webhook_events_prune
from alignment.webhooks.services import webhook_endpoint_create


def event_aged(days, *, status, endpoint_ids=None):
    event = webhook_event_emit(event_type="ping", data={"age": days}, endpoint_ids=endpoint_ids)
    written = timezone.now() - timedelta(days=days)
    WebhookEvent.objects.filter(id=event.id).update(created_at=written)
    WebhookDelivery.objects.filter(event=event).update(status=status, created_at=written)
    return event


def test_sent_and_failed_events_older_than_the_keep_days_are_deleted(webhook, settings):
    settings.ALIGNMENT_WEBHOOK_KEEP_DAYS = 30
    old_sent = event_aged(31, status=DeliveryStatus.DELIVERED)
    old_failed = event_aged(31, status=DeliveryStatus.FAILED)
    old_pending = event_aged(31, status=DeliveryStatus.PENDING)
    recent_sent = event_aged(29, status=DeliveryStatus.DELIVERED)
    recent_failed = event_aged(29, status=DeliveryStatus.FAILED)

    assert webhook_events_prune() == 2

    left = set(WebhookEvent.objects.values_list("id", flat=True))
    assert left == {old_pending.id, recent_sent.id, recent_failed.id}
    assert not WebhookDelivery.objects.filter(event_id__in=[old_sent.id, old_failed.id]).exists()
    assert WebhookDelivery.objects.count() == 3


def test_an_event_still_pending_for_one_endpoint_is_kept_for_all(webhook, manager, private_webhooks):
    other = webhook_endpoint_create(url="http://127.0.0.1:9/other", events=["*"], by=manager)
    event = event_aged(40, status=DeliveryStatus.DELIVERED, endpoint_ids=[webhook.id, other.id])
    WebhookDelivery.objects.filter(event=event, endpoint=other).update(status=DeliveryStatus.PENDING)

    assert webhook_events_prune() == 0
    assert WebhookDelivery.objects.filter(event=event).count() == 2


def test_the_keep_days_setting_is_honoured(webhook, settings):
    settings.ALIGNMENT_WEBHOOK_KEEP_DAYS = 3
    gone = event_aged(4, status=DeliveryStatus.DELIVERED)
    kept = event_aged(2, status=DeliveryStatus.DELIVERED)

    prune_task()

    assert list(WebhookEvent.objects.values_list("id", flat=True)) == [kept.id]
    assert not WebhookEvent.objects.filter(id=gone.id).exists()


def test_pruning_runs_in_batches(webhook, monkeypatch):
    monkeypatch.setattr("alignment.webhooks.outbox.PRUNE_BATCH", 2)
    for _ in range(5):
        event_aged(31, status=DeliveryStatus.DELIVERED)

    assert webhook_events_prune() == 5
    assert not WebhookEvent.objects.exists()


def test_the_beat_schedule_prunes_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-webhook-events"]
    assert entry["task"] == "alignment.tasks.webhook_events_prune"
    assert entry["schedule"].hour == {3}
