"""Outbound webhooks: the outbox the services write to, the relay that delivers it, and signing.

The base floor knows nothing of leads or feedback: the apps above build each event's `data` as a
plain dict and hand it to `outbox.webhook_event_emit` inside their own transaction.
"""
