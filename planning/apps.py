from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Campaign planning"

    def ready(self):
        # The lead page is the leads floor's and names nothing of planning's: its "ask marketing for
        # a campaign" link comes through the lead page's registry (`leads.panels`), after feedback's.
        from leads import panels

        panels.lead_panel_register(template="planning/_lead_request_link.html", slot="after_facts")
