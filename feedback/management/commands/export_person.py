import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from alignment.errors import NotFound
from feedback.privacy import person_export


class Command(BaseCommand):
    help = "Write everything Alignment holds about the person with this email as JSON (to stdout or --output)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", help="A file to write instead of the standard output.")

    def handle(self, *args, email, output, **options):
        try:
            data = person_export(email=email)
        except NotFound as error:
            raise CommandError(error.message) from None
        text = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text + "\n")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text)
