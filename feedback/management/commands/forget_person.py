from django.core.management.base import BaseCommand, CommandError

from alignment.errors import NotFound
from feedback.privacy import person_forget


class Command(BaseCommand):
    help = (
        "Erase the personal data of the person with this email (the lead, timeline and handoff notes, "
        "verdict notes, feedback threads, notifications, webhook events, failed import rows); the lead's "
        "figures stay. Export it first with export_person if the person asked for a copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        try:
            leads = person_forget(email=email, by=None)
        except NotFound as error:
            raise CommandError(error.message) from None
        for lead in leads:
            self.stdout.write(self.style.SUCCESS(f"Lead {lead.pk}: personal data erased (now {lead.email})."))
