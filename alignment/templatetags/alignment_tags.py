"""Template filters shared by every page."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.timesince import timesince

from alignment.countries import country_name
from alignment.days import date_text

register = template.Library()

# The symbols people expect in front of an amount; any other currency is written after it by its code.
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥", "KRW": "₩"}


@register.simple_tag
def in_place_form(action, name, pk):
    """The attributes of a page form that re-renders where it stands when it has errors
    (alignment/pages.py): htmx swaps the form for the server's answer, and a plain post's answer
    opens at the form's anchor. `name` and `pk` make its id, unique on a page of several leads."""
    form_id = f"{name}-form-{pk}"
    return format_html(
        'id="{}" action="{}#{}" hx-post="{}" hx-target="this" hx-swap="outerHTML"', form_id, action, form_id, action
    )


@register.filter
def currency(value):
    """An amount in ALIGNMENT_CURRENCY for the active locale: 12500 -> "€12,500", 12500.5 ->
    "€12,500.50"; a currency without a symbol here by its code, "12,500 SEK". Cents only when
    there are any, so headline figures stay short. Empty values render as "" so `|default` works.

    Every amount on every page and email goes through this one filter, so a lead page, a list and
    the dashboard never show the same figure two ways; it rounds half up, as the figures do."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return value
    places = 0 if amount == amount.to_integral_value() else 2
    number = number_format(amount, decimal_pos=places, force_grouping=True)
    code = settings.ALIGNMENT_CURRENCY
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number}\u00a0{code}"


@register.filter
def day(value):
    """A day in the house format (`alignment.days.date_text`), given as a date or as the ISO text a
    stored figure keeps ("2026-12-07" -> "7 Dec 2026"); anything else as it is."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return date_text(value) if isinstance(value, date) else value


@register.filter
def country(code):
    """A stored ISO code as people read it: "DE" -> "Germany"."""
    return country_name(code)


@register.simple_tag
def ago(moment, now=None):
    """How long ago a moment was, where recency matters ("12 minutes ago"), with the full date and
    time on hover: `<time datetime=… title="7 Dec 2026, 14:05">12 minutes ago</time>`. One unit
    only ("3 hours", not "3 hours, 1 minute"), so it fits a table's column; under a minute, "just now"."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    seconds = ((now or timezone.now()) - moment).total_seconds()
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        date_filter(local, "c"),
        date_filter(local, "DATETIME_FORMAT"),
        "just now" if seconds < 60 else f"{timesince(moment, now, depth=1)} ago",
    )
