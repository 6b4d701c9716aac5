from django.db import migrations

DEFAULT_REASON_CODES = [
    ("wrong_contact_data", "Wrong contact data"),
    ("not_icp", "Not our ideal customer"),
    ("no_budget", "No budget"),
    ("no_authority", "No authority"),
    ("no_need", "No need"),
    ("timing", "Bad timing"),
    ("unreachable", "Unreachable"),
    ("duplicate", "Duplicate / already in pipeline"),
    ("existing_customer", "Existing customer"),
    ("competitor", "Competitor"),
    ("student_job_seeker", "Student or job seeker"),
    ("spam", "Spam"),
]


def add_codes(apps, schema_editor):
    ReasonCode = apps.get_model("feedback", "ReasonCode")
    for position, (code, label) in enumerate(DEFAULT_REASON_CODES, start=1):
        ReasonCode.objects.get_or_create(code=code, defaults={"label": label, "position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("feedback", "0002_initial")]

    operations = [migrations.RunPython(add_codes, migrations.RunPython.noop)]
