"""Indexes behind the lead search: name and company substrings through pg_trgm GIN indexes.

They exist on PostgreSQL only, so they live in SQL here rather than in the model's Meta (SQLite
has no GIN and searches by a plain scan). They index UPPER(column) because that is the expression
Django's `icontains` compares on PostgreSQL. The email prefix needs nothing new: the unique email
column already has its `varchar_pattern_ops` index for LIKE 'prefix%'.
"""

from django.db import migrations

TRIGRAM_INDEXES = {
    "lead_name_trgm": "name",
    "lead_company_trgm": "company",
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index}" ON "leads_lead" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


class Migration(migrations.Migration):
    dependencies = [("leads", "0007_import_failed_rows")]

    operations = [migrations.RunPython(create_search_indexes, drop_search_indexes)]
