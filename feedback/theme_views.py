"""Voice of sales by segment: pain themes counted by vertical × territory, with quotes, and the
leads behind each count (marketers and managers)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from alignment.models import Role, Vertical
from alignment.pagination import keyset_page
from feedback import themes
from feedback.scorecard import PERIODS, scorecard_period

PAGE_SIZE = 50


def _require_marketing_or_manager(user):
    if user.role not in (Role.MARKETER, Role.MANAGER):
        raise PermissionDenied


def _int_or_none(value):
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


@login_required
def pain_theme_insights(request):
    _require_marketing_or_manager(request.user)
    period = scorecard_period(request.GET.get("period") or "365d")
    vertical = _int_or_none(request.GET.get("vertical"))
    country = (request.GET.get("country") or "").strip()[:2]
    counts = themes.pain_theme_counts(start=period.start, end=period.end, vertical=vertical, country=country)
    context = {
        "counts": counts,
        "period": period,
        "periods": [(key, label) for key, (label, _) in PERIODS.items()],
        "verticals": Vertical.objects.order_by("name"),
        "vertical": vertical,
        "country": country,
    }
    return render(request, "feedback/pain_themes.html", context)


@login_required
def pain_theme_leads(request):
    _require_marketing_or_manager(request.user)
    period = scorecard_period(request.GET.get("period") or "365d")
    theme = themes.pain_theme_list(active_only=False).filter(code=request.GET.get("theme", "")[:50]).first()
    vertical_id = _int_or_none(request.GET.get("vertical"))
    vertical = Vertical.objects.filter(pk=vertical_id).first() if vertical_id else None
    country = (request.GET.get("country") or "").strip()[:2]
    region = (request.GET.get("region") or "").strip()[:100]
    page = None
    if theme is not None:
        leads = themes.pain_theme_leads(
            theme=theme.code, vertical=vertical_id, country=country, region=region, start=period.start
        )
        page = keyset_page(leads, request, ordering=("-id",), param="after", size=PAGE_SIZE)
    context = {
        "theme": theme,
        "vertical": vertical,
        "territory": f"{country}/{region}" if region else country,
        "period": period,
        "page": page,
    }
    return render(request, "feedback/pain_theme_leads.html", context, status=200 if theme else 404)
