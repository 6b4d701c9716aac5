"""Keyset pages for the server-rendered lists (the lead list, the feedback queue, notifications).

A page is the rows after the last one the reader saw, in the list's own order: the URL carries that
row's ordering values (`?after=<id>`, `?after=<created_at>~<id>`), never an offset, so a deep page
costs what the first one does and rows captured meanwhile neither repeat nor go missing. The API
pages with `alignment.rest.CursorPagination`; this is the same idea for pages with plain links.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
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

    @property
    def has_next(self) -> bool:
        return self.next_query is not None


def keyset_page(
    queryset: QuerySet, request: HttpRequest, *, ordering: Sequence[str], param: str = "after", size: int = 50
) -> KeysetPage:
    """One page of `queryset` in `ordering` (field names, "-" for descending; the last must be
    unique, e.g. the id), starting after the cursor in `request.GET[param]`.

    A cursor that does not parse is ignored: the reader gets the first page, not an error.
    """
    cursor = _cursor_parse(queryset, ordering, request.GET.get(param))
    queryset = queryset.order_by(*ordering)
    if cursor is not None:
        queryset = queryset.filter(_after_q(ordering, cursor))
    items = list(queryset[: size + 1])
    more = len(items) > size
    items = items[:size]
    query = request.GET.copy()
    query.pop(param, None)
    first_query = query.urlencode()
    next_query = None
    if more:
        query[param] = _cursor_of(items[-1], ordering)
        next_query = query.urlencode()
    return KeysetPage(items=items, is_first_page=cursor is None, next_query=next_query, first_query=first_query)


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
