from django.core.management.base import BaseCommand

from feedback.services import feedback_overdue_remind
from leads.cold import cold_leads_sweep
from leads.offers import offers_sweep


class Command(BaseCommand):
    help = (
        "Run the sweeps once, as the beat schedule does: open and close cold episodes, remind reps and "
        "marketers, escalate to managers, remind overdue feedback, move lapsed offers on to the next rep. "
        "The database work is done when it exits; the emails may still be queued."
    )

    def handle(self, *args, **options):
        result = cold_leads_sweep()
        feedback_reminders = feedback_overdue_remind()
        offers = offers_sweep()
        self.stdout.write(
            f"{result.episodes_opened} cold episodes opened, {result.episodes_closed} closed; "
            f"{result.reminders} reminders, {result.escalations} escalations, "
            f"{feedback_reminders} feedback reminders; "
            f"{len(result.notification_ids)} notifications created, "
            f"{result.emails_reenqueued} unsent emails enqueued again; "
            f"{offers.lapsed} offers lapsed, {offers.moved} offered to the next rep, "
            f"{offers.to_managers} to the managers' queue."
        )
