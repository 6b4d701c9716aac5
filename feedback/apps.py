from django.apps import AppConfig

from leads import panels


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self):
        # The lead pages are the floor below and name nothing of feedback's: feedback tells them
        # which of their forms it answers and which panels it adds (`leads.panels`).
        for action in ("reject", "won", "lost", "merge", "bulk"):
            panels.lead_action_url_register(action=action, url_name=f"feedback:lead-{action}")
        panels.lead_panel_register(template="feedback/_lead_panel.html", slot="after_facts")
        panels.lead_panel_register(template="feedback/_lead_personal_data.html", slot="end")
