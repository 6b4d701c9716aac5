"""Keeping a lead's stored `score` current when what it is scored on changes.

The score is learned and served by an upper floor (scoring/), which this floor must not know. So
the services here call `leads_scores_refresh(lead_ids=…)` after they change what a score reads
(capture, a data fix, a handoff, a merge), in the same transaction, and the upper floor registers
the function that rescores them in SQL when its app is ready. With nothing registered the call does
nothing, and the rescorer itself costs no query while no model serves.
"""

from collections.abc import Callable, Iterable

_rescorers: list[Callable] = []


def lead_rescorer_register(rescorer: Callable) -> None:
    """`rescorer(lead_ids=[…])` rescoring those leads; registering one twice keeps one."""
    if rescorer not in _rescorers:
        _rescorers.append(rescorer)


def leads_scores_refresh(*, lead_ids: Iterable[int]) -> None:
    ids = sorted({int(i) for i in lead_ids})
    if not ids:
        return
    for rescorer in _rescorers:
        rescorer(lead_ids=ids)
