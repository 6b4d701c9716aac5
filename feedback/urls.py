"""The feedback app's URLs: its pages (the queue, items, verdicts, the scorecard, insights, reason
codes) under /feedback/; the lead pages it adds (outcomes that tell marketing, bulk actions, merge,
personal data) under /leads/; and its API under /api/.
"""

from django.urls import path

from feedback import lead_bulk_merge_views, privacy_views, theme_views, views
from feedback.apis import items, lead_bulk_merge, lead_outcomes, reasons, scorecard, verdicts

app_name = "feedback"

urlpatterns = [
    path("", views.feedback_queue, name="queue"),
    path("<int:pk>/", views.feedback_item, name="item"),
    path("<int:pk>/reply/", views.feedback_reply, name="reply"),
    path("<int:pk>/resolve/", views.feedback_resolve, name="resolve"),
    path("leads/<int:pk>/verdict/", views.verdict_give, name="verdict"),
    path("leads/<int:pk>/request/", views.feedback_request, name="request"),
    path("campaigns/", views.campaign_scorecard, name="campaigns"),
    path("insights/", views.voice_of_sales, name="insights"),
    path("insights/themes/", theme_views.pain_theme_insights, name="themes"),
    path("insights/themes/leads/", theme_views.pain_theme_leads, name="theme-leads"),
    path("pain-themes/", theme_views.pain_theme_settings, name="pain-themes"),
    path("pain-themes/<int:pk>/", theme_views.pain_theme_edit, name="pain-theme-edit"),
    path("reasons/", views.reason_codes, name="reasons"),
    path("reasons/<int:pk>/", views.reason_code_edit, name="reason-edit"),
]

# The outcomes that tell marketing, on the lead pages' own URLs (mounted under /leads/).
lead_urlpatterns = [
    path("bulk/", lead_bulk_merge_views.lead_bulk, name="lead-bulk"),
    path("<int:pk>/merge/", lead_bulk_merge_views.lead_merge, name="lead-merge"),
    path("<int:pk>/reject/", views.lead_reject, name="lead-reject"),
    path("<int:pk>/won/", views.lead_win, name="lead-won"),
    path("<int:pk>/lost/", views.lead_lose, name="lead-lost"),
    path("<int:pk>/personal-data/", privacy_views.lead_personal_data, name="lead-personal-data"),
    path("<int:pk>/erase/", privacy_views.lead_erase, name="lead-erase"),
]

api_urlpatterns = [
    path("leads/bulk-action/", lead_bulk_merge.LeadBulkActionApi.as_view(), name="lead-bulk-action"),
    path("leads/<int:pk>/merge/", lead_bulk_merge.LeadMergeApi.as_view(), name="lead-merge"),
    path("leads/<int:pk>/reject/", lead_outcomes.LeadRejectApi.as_view(), name="lead-reject"),
    path("leads/<int:pk>/won/", lead_outcomes.LeadWinApi.as_view(), name="lead-won"),
    path("leads/<int:pk>/lost/", lead_outcomes.LeadLoseApi.as_view(), name="lead-lost"),
    path("leads/<int:pk>/verdict/", verdicts.VerdictGiveApi.as_view(), name="verdict"),
    path("leads/<int:pk>/feedback-request/", items.FeedbackRequestApi.as_view(), name="request"),
    path("feedback/", items.FeedbackQueueApi.as_view(), name="queue"),
    path("feedback/campaigns/", scorecard.ScorecardApi.as_view(), name="campaigns"),
    path("feedback/insights/", scorecard.InsightsApi.as_view(), name="insights"),
    path("feedback/reasons/", reasons.ReasonCodeListApi.as_view(), name="reasons"),
    path("feedback/<int:pk>/", items.FeedbackItemDetailApi.as_view(), name="item"),
    path("feedback/<int:pk>/replies/", items.FeedbackReplyApi.as_view(), name="replies"),
    path("feedback/<int:pk>/resolve/", items.FeedbackResolveApi.as_view(), name="resolve"),
]
