"""Keyset pages for the server-rendered lists (the lead list, the feedback queue, notifications).

A page is the rows after the last one the reader saw, in the list's own order: the URL carries that
row's ordering values (`?after=<id>`, `?after=<created_at>~<id>`), never an offset, so a deep page
costs what the first one does and rows captured meanwhile neither repeat nor go missing. The API
pages with `alignment.rest.CursorPagination`; this is the same idea for pages with plain links.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest

CURSOR_SEPARATOR = "~"


@dataclass(frozen=True)
class KeysetPage:
    items: list
    is_first_page: bool
    # The query strings of the next and the first page, the request's other parameters kept.
    next_query: str | None
    first_query: str
    # The page before this one, when the list pages backwards too (`previous_param`).
    previous_query: str | None = None

    @property
    def has_next(self) -> bool:
        return self.next_query is not None


def keyset_page(
    queryset: QuerySet,
    request: HttpRequest,
    *,
    ordering: Sequence[str],
    param: str = "after",
    size: int = 50,
    previous_param: str | None = None,
) -> KeysetPage:
    """One page of `queryset` in `ordering` (field names, "-" for descending; the last must be
    unique, e.g. the id), starting after the cursor in `request.GET[param]` — or, with
    `previous_param`, ending before the cursor in `request.GET[previous_param]` (the Previous link:
    the rows before it in reverse order, turned round).

    A cursor that does not parse is ignored: the reader gets the first page, not an error.
    """
    after = _cursor_parse(queryset, ordering, request.GET.get(param))
    before = None
    if previous_param and after is None:
        before = _cursor_parse(queryset, ordering, request.GET.get(previous_param))
    query = request.GET.copy()
    for name in (param, previous_param):
        query.pop(name, None)
    first_query = query.urlencode()
    if before is not None:
        backwards = [_reversed(key) for key in ordering]
        rows = list(queryset.order_by(*backwards).filter(_after_q(backwards, before))[: size + 1])
        has_previous, has_next = len(rows) > size, True
        items = rows[:size][::-1]
    else:
        queryset = queryset.order_by(*ordering)
        if after is not None:
            queryset = queryset.filter(_after_q(ordering, after))
        rows = list(queryset[: size + 1])
        has_previous, has_next = after is not None, len(rows) > size
        items = rows[:size]
    next_query = previous_query = None
    if has_next and items:
        next_query = _with(query, param, _cursor_of(items[-1], ordering))
    if previous_param and has_previous and items:
        previous_query = _with(query, previous_param, _cursor_of(items[0], ordering))
    return KeysetPage(
        items=items,
        is_first_page=not has_previous,
        next_query=next_query,
        first_query=first_query,
        previous_query=previous_query,
    )


def keyset_rows_before(queryset: QuerySet, item, *, ordering: Sequence[str]) -> QuerySet:
    """The rows of `queryset` that come before `item` in `ordering`: counted, they give the
    position of a page ("51–100 of …") without an offset."""
    backwards = [_reversed(key) for key in ordering]
    values = [getattr(item, name) for name in _names(ordering)]
    return queryset.filter(_after_q(backwards, values))


def _reversed(key: str) -> str:
    return key[1:] if key.startswith("-") else f"-{key}"


def _with(query, name: str, value: str) -> str:
    query = query.copy()
    query[name] = value
    return query.urlencode()


def _names(ordering: Sequence[str]) -> list[str]:
    return [key.removeprefix("-") for key in ordering]


def _after_q(ordering: Sequence[str], values: list) -> Q:
    """Rows after `values` in `ordering`: (a, b) after (x, y) is a beyond x, or a = x and b beyond y."""
    names = _names(ordering)
    after = Q()
    for i, key in enumerate(ordering):
        beyond = "lt" if key.startswith("-") else "gt"
        equal = {names[j]: values[j] for j in range(i)}
        after |= Q(**equal, **{f"{names[i]}__{beyond}": values[i]})
    return after


def _cursor_parse(queryset: QuerySet, ordering: Sequence[str], text: str | None) -> list | None:
    parts = (text or "").split(CURSOR_SEPARATOR)
    if not text or len(parts) != len(ordering):
        return None
    values = []
    for name, part in zip(_names(ordering), parts, strict=True):
        meta = queryset.model._meta
        annotation = queryset.query.annotations.get(name)
        # An annotation (the lead list's score rank) parses as what it computes.
        if annotation is not None:
            field = annotation.output_field
        else:
            field = meta.pk if name in ("id", "pk") else meta.get_field(name)
        try:
            value = field.to_python(part)
        except (ValidationError, TypeError, ValueError):
            return None
        if value is None:
            return None
        values.append(value)
    return values


def _cursor_of(item, ordering: Sequence[str]) -> str:
    values = (getattr(item, name) for name in _names(ordering))
    return CURSOR_SEPARATOR.join(
        value.isoformat() if isinstance(value, datetime | date) else str(value) for value in values
    )


# Counting every row of a big list costs a scan of it; past this many an estimate does.
EXACT_COUNT_UP_TO = 10_000
# A search's count reads and rechecks each matching row (a trigram index only narrows them down),
# where a filter's reads index entries alone: it stops sooner.
SEARCH_EXACT_COUNT_UP_TO = 500


@dataclass(frozen=True)
class RowCount:
    value: int
    estimated: bool


def row_count(queryset: QuerySet, *, search: bool = False) -> RowCount:
    """How many rows `queryset` has: on PostgreSQL exact up to EXACT_COUNT_UP_TO (a COUNT that
    stops there; SEARCH_EXACT_COUNT_UP_TO for a search), past it the planner's estimate; elsewhere
    the exact count."""
    exact_up_to = SEARCH_EXACT_COUNT_UP_TO if search else EXACT_COUNT_UP_TO
    queryset = queryset.order_by()
    if connection.vendor != "postgresql":
        return RowCount(queryset.count(), estimated=False)
    capped = queryset[: exact_up_to + 1].count()
    if capped <= exact_up_to:
        return RowCount(capped, estimated=False)
    sql, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return RowCount(max(int(plan[0]["Plan"]["Plan Rows"]), exact_up_to + 1), estimated=True)
