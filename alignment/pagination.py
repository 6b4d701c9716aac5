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
    # The query strings of the next, the previous and the first page, the request's other
    # parameters kept; the previous page is offered only where the list asked for a `back_param`.
    next_query: str | None
    first_query: str
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
    back_param: str | None = None,
    size: int = 50,
) -> KeysetPage:
    """One page of `queryset` in `ordering` (field names, "-" for descending; the last must be
    unique, e.g. the id), starting after the cursor in `request.GET[param]` or, with a
    `back_param`, ending before the cursor in `request.GET[back_param]` (the page before).

    A cursor that does not parse is ignored: the reader gets the first page, not an error.
    """
    cursor = _cursor_parse(queryset, ordering, request.GET.get(param))
    back = _cursor_parse(queryset, ordering, request.GET.get(back_param)) if back_param and cursor is None else None
    queryset = queryset.order_by(*ordering)
    if back is not None:
        # The rows just before the cursor: walk the order backwards from it, then turn them round.
        backwards = [key.removeprefix("-") if key.startswith("-") else f"-{key}" for key in ordering]
        items = list(queryset.filter(_after_q(backwards, back)).order_by(*backwards)[: size + 1])
        more_before, more_after = len(items) > size, True
        items = items[:size][::-1]
    else:
        if cursor is not None:
            queryset = queryset.filter(_after_q(ordering, cursor))
        items = list(queryset[: size + 1])
        more_before, more_after = cursor is not None, len(items) > size
        items = items[:size]
    query = request.GET.copy()
    query.pop(param, None)
    if back_param:
        query.pop(back_param, None)
    first_query = query.urlencode()
    next_query = previous_query = None
    if more_after and items:
        next_query = _query_with(query, param, _cursor_of(items[-1], ordering))
    if back_param and more_before and items:
        previous_query = _query_with(query, back_param, _cursor_of(items[0], ordering))
    return KeysetPage(
        items=items,
        is_first_page=not more_before,
        next_query=next_query,
        first_query=first_query,
        previous_query=previous_query,
    )


def _query_with(query, name: str, value: str) -> str:
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
