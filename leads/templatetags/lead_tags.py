"""The lead pages' own tags."""

from django import template

from leads.panels import lead_action_url as _lead_action_url

register = template.Library()


@register.simple_tag
def lead_action_url(action, *args) -> str:
    """`{% lead_action_url "reject" lead.pk as action %}`: the URL of the app that answers that form
    (registered in `leads.panels` by the floor above)."""
    return _lead_action_url(action, *args)
