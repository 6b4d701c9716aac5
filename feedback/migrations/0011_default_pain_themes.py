from django.db import migrations

DEFAULT_PAIN_THEMES = [
    ("price", "Price"),
    ("integration", "Integration with existing tools"),
    ("security_compliance", "Security and compliance"),
    ("reporting", "Reporting and analytics"),
    ("onboarding", "Onboarding and setup"),
    ("performance", "Performance and scale"),
    ("support", "Support"),
    ("usability", "Ease of use"),
    ("data_migration", "Data migration"),
    ("customisation", "Customisation"),
    ("contract_terms", "Contract terms"),
    ("time_to_value", "Time to value"),
]


def add_themes(apps, schema_editor):
    PainTheme = apps.get_model("feedback", "PainTheme")
    for position, (code, label) in enumerate(DEFAULT_PAIN_THEMES, start=1):
        PainTheme.objects.get_or_create(code=code, defaults={"label": label, "position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("feedback", "0010_pain_themes")]

    operations = [migrations.RunPython(add_themes, migrations.RunPython.noop)]
