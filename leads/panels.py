"""What the floors above add to the lead pages, without the lead pages naming them.

The lead pages are the leads floor's; feedback, above it, answers some of their forms (a rejection,
a win or a loss also tells marketing; a merge moves the feedback rows too; the bulk bar can ask for
feedback) and adds panels of its own (the verdicts and the conversation about the lead, the
personal-data links). It registers them here from its AppConfig.ready(), so a leads template asks
for "the URL that answers the reject form" or "the panels after the facts", never for a feedback
URL or template by name.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

# Where on the lead page a panel goes: a summary right after the contact and waterfall facts (the
# score), the panels after them (verdicts and the conversation), or at the very end.
SLOTS = ("summary", "after_facts", "end")


@dataclass(frozen=True)
class LeadPanel:
    """A partial rendered on the lead page with the page's context (`lead`, `forms`, `user`, …)."""

    template: str
    slot: str


_panels: list[LeadPanel] = []
# A lead-page form (its action: "reject", "merge", "bulk", …) → the name of the URL that answers it.
_action_urls: dict[str, str] = {}


def lead_panel_register(*, template: str, slot: str) -> None:
    if slot not in SLOTS:
        raise ValueError(f"Unknown lead page slot {slot!r}; one of {SLOTS}")
    panel = LeadPanel(template, slot)
    if panel not in _panels:
        _panels.append(panel)


def lead_action_url_register(*, action: str, url_name: str) -> None:
    _action_urls[action] = url_name


def lead_panels() -> dict[str, list[str]]:
    """The registered panels' templates by slot, in the order they were registered."""
    return {slot: [panel.template for panel in _panels if panel.slot == slot] for slot in SLOTS}


def lead_action_url(action: str, *args) -> str:
    """The URL that answers the lead-page form `action` (with the lead's id, when it takes one)."""
    try:
        url_name = _action_urls[action]
    except KeyError:
        raise ImproperlyConfigured(f"No app answers the lead page's {action!r} form.") from None
    return reverse(url_name, args=args)
