from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"

    def ready(self):
        # The leads floor cannot import this one: it calls whatever rescorer is registered when a
        # lead's features change (leads/scores.py), and this is the one.
        from leads import panels
        from leads.scores import lead_rescorer_register
        from scoring.serving import leads_rescore

        lead_rescorer_register(leads_rescore)
        panels.lead_panel_register(template="scoring/_lead_score_loader.html", slot="summary")
