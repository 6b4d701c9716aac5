"""What the floors above add to the campaign scorecard, without the scorecard naming them.

The scorecard is the feedback floor's; planning, above it, knows which campaigns were made for a
sales request and what they brought in the requested segment. It registers a reader here from its
AppConfig.ready(): given the scorecard's campaign ids, the reader returns, per campaign, the
delivered requests it answers with their outcomes (one query for all of them).
"""

from collections.abc import Callable, Iterable

# campaign ids → {campaign id: [{"id", "title", "segment", "outcome"}, …]}
Reader = Callable[[Iterable[int]], dict[int, list[dict]]]
_readers: list[Reader] = []


def scorecard_requests_register(reader: Reader) -> None:
    if reader not in _readers:
        _readers.append(reader)


def scorecard_requests(campaign_ids) -> dict[int, list[dict]]:
    """The delivered requests behind each campaign, from every registered reader."""
    ids = list(campaign_ids)
    found: dict[int, list[dict]] = {}
    for reader in _readers:
        for campaign_id, requests in reader(ids).items():
            found.setdefault(campaign_id, []).extend(requests)
    return found
