from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"

    def ready(self):
        # Imported here, not at the top: the models exist once the apps are loaded.
        from django.db.models.signals import post_delete, post_save

        from leads.models import Campaign
        from leads.selectors import campaign_cache_forget

        # Cache plumbing, not business logic: a changed campaign is read again by the next capture.
        post_save.connect(campaign_cache_forget, sender=Campaign, dispatch_uid="leads-campaign-forget-saved")
        post_delete.connect(campaign_cache_forget, sender=Campaign, dispatch_uid="leads-campaign-forget-deleted")
