"""A btree index on UPPER(company), behind the "possible duplicate" a capture answers with
(`leads.selectors.lead_possible_duplicates`): the leads of one company, in any case, read straight
from it. The search's trigram index on the same expression could serve the equality too, but it
reads the posting lists of every trigram of the name, and its pending list under a steady stream of
captures, on each capture. PostgreSQL only, like the search's indexes (SQLite compares by a scan).
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('CREATE INDEX IF NOT EXISTS "lead_company_upper" ON "leads_lead" (UPPER("company"::text))')


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "lead_company_upper"')


class Migration(migrations.Migration):
    dependencies = [("leads", "0016_lead_score")]

    operations = [migrations.RunPython(create_index, drop_index)]
