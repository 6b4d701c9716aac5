from datetime import timedelta

from django.utils import timezone

from planning.services import campaign_request_file


def file_request(*, by, vertical, territory="DE", title="Retail in Germany", **fields):
    """A request filed through the service, as a rep or a manager files it."""
    values = {
        "title": title,
        "vertical": vertical,
        "territory": territory,
        "goal_leads": 40,
        "needed_by": timezone.localdate() + timedelta(days=30),
        "pain_themes": ["price"],
        "note": "Customers keep asking about pricing for chains.",
    }
    values.update(fields)
    return campaign_request_file(by=by, **values)
