"""A PostgreSQL cursor that sends its parameters apart from the statement (server-side binding).

Django's own cursors put every value into the SQL text. For a statement run again and again that
means parsing and planning it each time (a bound one is prepared once per connection, settings:
DATABASE_PREPARED_STATEMENTS), and for ten thousand ids it means ten thousand literals for the
server to parse instead of one array. The cursor goes through Django's wrappers like any other, so
its queries are logged and counted.
"""

import psycopg
from django.db import connection


def bound_cursor(cursor_class: type[psycopg.Cursor] = psycopg.Cursor):
    """A cursor of `cursor_class` (PostgreSQL only) on the default connection, in Django's wrappers."""
    connection.ensure_connection()
    raw = cursor_class(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
