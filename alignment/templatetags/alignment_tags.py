"""Template filters shared by every page."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def money(value):
    """An amount with thousands separators and two decimals: 1004000 -> "1,004,000.00".

    Every amount on every page goes through this one filter so that a lead page, a list and the
    dashboard never show the same figure two ways. Empty values render as "" so `|default` works.
    """
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return value
    if not amount.is_finite():
        return value
    # Half up, as the dashboard's floatformat rounds, so both show the same cents.
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
