from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Campaign planning"

    def ready(self):
        # The lead page is the leads floor's and names nothing of planning's: its "ask marketing for
        # a campaign" link comes through the lead page's registry (`leads.panels`), after feedback's.
        from feedback import scorecard_extras
        from leads import panels
        from planning.selectors import campaign_requests_delivered_by_campaign

        panels.lead_panel_register(template="planning/_lead_request_link.html", slot="after_facts")
        # Likewise the scorecard shows what a campaign made for a request brought in its segment.
        scorecard_extras.scorecard_requests_register(campaign_requests_delivered_by_campaign)
