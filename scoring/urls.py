from django.urls import path

from scoring import apis, views

app_name = "scoring"

urlpatterns = [
    path("", views.scoring_model, name="model"),
    path("leads/<int:pk>/", views.lead_score_panel, name="lead-panel"),
]

api_urlpatterns = [
    path("leads/<int:pk>/score/", apis.LeadScoreApi.as_view(), name="lead-score"),
    path("scoring/", apis.ScoringApi.as_view(), name="model"),
]
