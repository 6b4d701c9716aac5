"""Voice of sales by segment: pain themes counted by vertical × territory, with quotes, and the
leads behind each count (marketers and managers); and the list of pain themes itself, which
managers keep (`feedback.theme_settings`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alignment.errors import InvalidInput, NotFound
from alignment.models import Role, Vertical
from alignment.pagination import keyset_page
from feedback import forms, theme_settings, themes
from feedback.code_list_views import code_list_edit
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


def _require_manager(user):
    if user.role != Role.MANAGER:
        raise PermissionDenied


@login_required
def pain_theme_settings(request):
    """Managers add, rename, retire and restore pain themes; everyone else may not see this page."""
    _require_manager(request.user)
    form = forms.PainThemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            theme = theme_settings.pain_theme_create(by=request.user, **form.cleaned_data)
        except InvalidInput as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Added the pain theme “{theme.label}”.")
            return redirect("feedback:pain-themes")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "themes": themes.pain_theme_list(active_only=False)}
    return render(request, "feedback/pain_theme_settings.html", context, status=status)


@login_required
@require_POST
def pain_theme_edit(request, pk):
    _require_manager(request.user)
    try:
        theme = theme_settings.pain_theme_get(pk=pk)
    except NotFound:
        raise Http404("No such pain theme.") from None
    return code_list_edit(
        request, codes=theme_settings.PAIN_THEMES, row=theme, back="feedback:pain-themes", restored="offered again"
    )
