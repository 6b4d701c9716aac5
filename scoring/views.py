"""The score's pages: the model page (managers) and the lead page's score panel, which the lead
page loads from here (htmx) so the leads floor need not know this one."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from alignment.errors import NotFound
from scoring.selectors import lead_score_explain_for_user, scoring_summary


@login_required
def lead_score_panel(request, pk):
    try:
        explanation = lead_score_explain_for_user(user=request.user, pk=pk)
    except NotFound:
        return render(request, "scoring/_lead_score.html", {"missing": True}, status=404)
    return render(request, "scoring/_lead_score.html", {"explanation": explanation, "lead_id": pk})


@login_required
def scoring_model(request):
    if not request.user.is_manager:
        raise PermissionDenied("Only a manager reads the score model's page.")
    summary = scoring_summary()
    chart = {"reliability": summary["reliability"], "learning_curve": summary["learning_curve"]}
    return render(request, "scoring/model.html", {"summary": summary, "chart": chart})
