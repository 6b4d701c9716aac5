import time

from django.core.management.base import BaseCommand

from feedback.rollup import figures_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's daily roll-up from the leads and their verdicts, the scorecard's bad reasons "
        "from the feedback items, voice of sales' pain themes from the verdicts and the campaign plan's monthly "
        "roll-up by segment from the leads. The services (and, for the plan's, the database's triggers) keep them "
        "in step on their own; run this after changing TIME_ZONE (days are counted in the company's time zone) or "
        "after changing leads by hand in the database. Writes wait while it runs."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        rows, reasons, themes = figures_rebuild()
        self.stdout.write(
            f"Dashboard roll-up rebuilt: {rows} rows, {reasons} bad-reason rows, {themes} pain-theme rows "
            f"in {time.monotonic() - started:.1f} s."
        )
