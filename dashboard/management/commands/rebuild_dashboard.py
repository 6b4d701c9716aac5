import time

from django.core.management.base import BaseCommand

from leads.rollup import lead_days_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's daily roll-up from the leads and their verdicts. The services keep it "
        "in step on their own; run this after changing TIME_ZONE (days are counted in the company's time "
        "zone) or after changing leads by hand in the database. Writes wait while it runs."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        rows = lead_days_rebuild()
        self.stdout.write(f"Dashboard roll-up rebuilt: {rows} rows in {time.monotonic() - started:.1f} s.")
