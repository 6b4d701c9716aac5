"""The SQL that capture (leads.capture) sends: INSERTs whose text does not grow with their rows,
prepared once per connection, and on PostgreSQL several of them as one statement.

What a row means (its values, what a known email keeps, the touch and the timeline event) is
leads.capture's; here is only how those rows become statements.
"""

import functools
from dataclasses import dataclass

import psycopg
from django.db import connection

from alignment.cursors import bound_cursor


def prepared_cursor():
    """A bound cursor (`alignment.cursors`) for the statements built here, numbered once per text."""
    return bound_cursor(_NumberedCursor)


class _NumberedCursor(psycopg.RawCursor):
    """psycopg's cursor for PostgreSQL's own placeholders ($1, $2, …), given the `%s` ones of the
    statements built here: they are numbered once per statement text (`numbered`). psycopg's own
    cursor finds the placeholders of a statement as long as a capture's on every run."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(numbered(query), params, **kwargs)


@functools.lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """`sql` with each `%s` as `$1`, `$2`, … in order, and `%%` as `%`."""
    parts = sql.replace("%%", "\0").split("%s")
    if any("%" in part for part in parts):
        raise ValueError("Only %s placeholders (and %% for a percent sign) are numbered.")
    text = "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]
    return text.replace("\0", "%")


def insert_statement(model, names, rows) -> tuple[str, list]:
    """An INSERT of `rows` (tuples of the values of the fields `names`). On PostgreSQL a column
    whose rows all hold one value is one parameter, and each other column one array parameter in
    PostgreSQL's own text form (`array_literal`) read through `unnest`, so neither the statement
    nor its parsing grows with the rows; elsewhere a VALUES list, the values prepared as the ORM
    would."""
    fields, head, kinds = insert_head(model, tuple(names), connection.vendor)
    if kinds:
        values = list(zip(*rows, strict=True))
        varying = [n for n, column in enumerate(values) if column.count(column[0]) != len(column)]
        if not varying and len(rows) > 1:
            varying = [0]  # the same row more than once: unnest one column to make that many
        selected, selected_params, arrays, array_params = [], [], [], []
        for n, (kind, column) in enumerate(zip(kinds, values, strict=True)):
            if n in varying:
                selected.append(f"u{n}")
                arrays.append(f"%s::{kind}[]")
                array_params.append(array_literal(column))
            else:
                selected.append(f"%s::{kind}")
                selected_params.append(column[0])
        sql = head + "SELECT " + ", ".join(selected)
        if arrays:
            sql += f" FROM unnest({', '.join(arrays)}) AS u({', '.join(f'u{n}' for n in varying)})"
        return sql, selected_params + array_params
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [
        field.get_db_prep_save(value, connection)
        for values in rows
        for field, value in zip(fields, values, strict=True)
    ]
    return head + "VALUES " + ", ".join([row] * len(rows)), params


def array_literal(values) -> str:
    """`values` as PostgreSQL writes an array (`{"a","b",NULL}`), each element quoted and its
    backslashes and double quotes escaped, as the column's type reads it from text. Built in one
    pass: psycopg adapts a list element by element in Python, which cost more than the upsert."""
    return (
        "{"
        + ",".join(
            "NULL" if value is None else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for value in values
        )
        + "}"
    )


@functools.cache
def insert_head(model, names, vendor) -> tuple[list, str, list]:
    """`insert_statement`'s fields, its `INSERT INTO … (…)` and on PostgreSQL each column's type:
    the same for every batch, and reading a field's database type is not free."""
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    head = f"INSERT INTO {model._meta.db_table} ({columns}) "
    kinds = [field.db_type(connection) for field in fields] if vendor == "postgresql" else []
    return fields, head, kinds


@dataclass(frozen=True)
class Either:
    """A value of a row that `insert_per_row` writes: `first` when its row's lead was created by
    the statement, `again` when the lead was known."""

    first: object
    again: object


def insert_per_row(model, names, values, *, source: str, id_column: str, created_column: str) -> tuple[str, list]:
    """PostgreSQL: an `INSERT … SELECT` of one row for each row of `source` (a WITH step that
    RETURNING a lead's id and whether it was created), `id_column` filling the field `names[0]`,
    `values` the others: plain values, or `Either` of two."""
    fields, head, kinds = insert_head(model, tuple(names), "postgresql")
    selected, params = [id_column], []
    for kind, value in zip(kinds[1:], values, strict=True):
        if isinstance(value, Either) and value.first != value.again:
            selected.append(f"CASE WHEN {created_column} THEN %s::{kind} ELSE %s::{kind} END")
            params += [value.first, value.again]
        else:
            selected.append(f"%s::{kind}")
            params.append(value.first if isinstance(value, Either) else value)
    return head + "SELECT " + ", ".join(selected) + f" FROM {source}", params


def with_statement(steps, last) -> tuple[str, list]:
    """`(sql, params)` statements as one (PostgreSQL): each of `steps` a data-modifying WITH step
    (`step0`, `step1`, …, unless named by a `(name, sql, params)`), then `last`."""
    parts, params = [], []
    for n, step in enumerate(steps):
        name, sql, step_params = step if len(step) == 3 else (f"step{n}", *step)
        parts.append(f"{name} AS ({sql})")
        params += step_params
    sql, last_params = last
    return "WITH " + ", ".join(parts) + " " + sql, params + list(last_params)


def records_insert(rollup_statements, touches, events, *, tail=None) -> list | None:
    """The roll-up's upserts, the touches and the timeline events of a batch (`(model, names,
    rows)` each). On PostgreSQL they go as one statement (data-modifying WITH clauses), one round
    trip however many; elsewhere one statement each. `tail`, a `(sql, params)` SELECT, ends that
    statement (it sees the leads upserted before it) and its rows are returned."""
    if not touches[2]:  # nothing was captured
        return None
    statements = [*rollup_statements, insert_statement(*touches), insert_statement(*events)]
    if tail is not None:
        statements.append(tail)
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
            return cursor.fetchall() if tail is not None else None
    *first, last = statements
    with prepared_cursor() as cursor:
        cursor.execute(*with_statement(first, last))
        return cursor.fetchall() if tail is not None else None


def converted(model, rows):
    """Rows of `model`'s columns, each value as its field's (SQLite returns dates and amounts as text)."""
    converters = _converters(model, connection.alias, connection.vendor)
    if not converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for position, (functions, expression) in converters:
            for function in functions:
                row[position] = function(row[position], expression, connection)
        converted.append(row)
    return converted


@functools.cache
def _converters(model, alias, vendor) -> list:
    """The converters of `model`'s columns as the database returns them: the same for every batch
    (none on PostgreSQL), and finding them cost more than the upsert's own Python."""
    compiler = model.objects.none().query.get_compiler(using=alias)
    fields = model._meta.concrete_fields
    return list(compiler.get_converters([field.get_col(model._meta.db_table) for field in fields]).items())
