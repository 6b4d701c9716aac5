"""Celery tasks shared by both departments. Thin: they take ids, and the services do the work."""

import smtplib

from celery import shared_task

from alignment import services
from alignment.webhooks import outbox, relay

# Errors worth another try: the mail server or the network was away for a moment. Anything else
# (a refused recipient, a template error) is logged by Celery and not retried.
TRANSIENT_EMAIL_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    ConnectionError,
    TimeoutError,
)

# The longest wait before an email's next try: below the broker's visibility timeout, or Redis would
# hand the waiting task to a second worker.
EMAIL_RETRY_MAX_SECONDS = 600


@shared_task(
    name=services.NOTIFICATION_EMAIL_TASK,
    bind=True,
    # Idempotent (the sent-at guard), so it is acknowledged only once done: a worker that dies
    # mid-send leaves the message in the broker and another worker sends it.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_EMAIL_ERRORS,
    retry_backoff=10,
    retry_backoff_max=EMAIL_RETRY_MAX_SECONDS,
    retry_jitter=True,
    max_retries=8,
    ignore_result=True,
)
def notification_email_send(self, notification_id: int) -> None:
    """Email one notification to its recipient, once."""
    try:
        services.notification_email_send(notification_id=notification_id)
    except smtplib.SMTPResponseException as error:
        # 4xx answers are the server saying "not now".
        if 400 <= error.smtp_code < 500:
            countdown = min(EMAIL_RETRY_MAX_SECONDS, 10 * 2**self.request.retries)
            raise self.retry(exc=error, countdown=countdown) from error
        raise


@shared_task(name="alignment.tasks.idempotency_records_prune", ignore_result=True)
def idempotency_records_prune() -> None:
    services.idempotency_records_prune()


@shared_task(name=outbox.WEBHOOK_RELAY_TASK, ignore_result=True)
def webhook_relay() -> None:
    """Deliver the webhook deliveries that are due (claimed with SKIP LOCKED, so many may run)."""
    relay.webhook_relay()


@shared_task(name="alignment.tasks.webhook_events_prune", ignore_result=True)
def webhook_events_prune() -> None:
    """Delete the webhook events older than ALIGNMENT_WEBHOOK_KEEP_DAYS that have nothing left to send."""
    outbox.webhook_events_prune()
