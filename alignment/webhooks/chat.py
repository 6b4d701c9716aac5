"""Notifications as chat messages: a Slack incoming webhook or a Microsoft Teams workflow webhook.

A chat webhook's kind is chosen when it is added (not guessed from the URL's host), and the relay
builds the message in that chat's format from the `chat.message` event's data:
`{kind, recipient: {id, username, name}, message, link}`, where `link` is absolute
(ALIGNMENT_BASE_URL plus the page the notification opens).
"""

import json

from alignment.models import WebhookKind

TITLES = {
    "reminder": "Going cold",
    "escalation": "Escalation — still cold",
    "feedback": "Feedback",
    "handoff": "New lead handed to you",
    "ping": "Test message",
}
OPEN_LABEL = "Open in Alignment"


def _slack_escape(text: str) -> str:
    """Slack reads `<…>` as links and mentions: the three characters it asks to be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_title(data: dict) -> str:
    return f"{TITLES.get(data['kind'], 'Alignment')} · for {data['recipient']['name']}"


def slack_message(data: dict) -> dict:
    title, message, link = chat_title(data), data["message"], data["link"]
    return {
        # The fallback text, for notifications and clients without blocks (Slack parses it too).
        "text": f"{_slack_escape(title)}: {_slack_escape(message)} {link}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack_escape(title)}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(message)}},
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": OPEN_LABEL}, "url": link}],
            },
        ],
    }


def teams_message(data: dict) -> dict:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": chat_title(data), "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": data["message"], "wrap": True},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": OPEN_LABEL, "url": data["link"]}],
    }
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }


def chat_body(*, kind: str, data: dict) -> bytes:
    message = slack_message(data) if kind == WebhookKind.SLACK else teams_message(data)
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
