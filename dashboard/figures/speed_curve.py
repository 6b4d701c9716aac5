"""Speed to lead's curve: how the reps' verdicts (and wins) fall with the time to first response.

Of the handoffs to a rep made in the period and answered, grouped by how long the first response
took (on the SLA clock, so in business hours when they are configured): within 5 minutes, within
an hour, within 24 hours, later. For each group, how many of those leads the rep has judged, how
many good, and how many were won. One GROUP BY, whatever the number of handoffs.
"""

from django.db.models import Case, CharField, Count, Q, Value, When
from django.db.models.lookups import LessThanOrEqual

from leads.models import VerdictValue

# (key, upper bound in seconds); the last group has none.
BUCKETS = (
    ("within_5_minutes", 5 * 60),
    ("within_1_hour", 60 * 60),
    ("within_24_hours", 24 * 60 * 60),
    ("later", None),
)


def _share(part, whole):
    return round(part / whole, 4) if whole else None


def speed_to_lead_by_response(answered, seconds) -> list[dict]:
    """`answered`: the period's answered handoffs; `seconds`: the expression of each one's time
    from the first offer to the answer. One query; every bucket present, empty ones with zeros."""
    bucket = Case(
        *(When(LessThanOrEqual(seconds, bound), then=Value(key)) for key, bound in BUCKETS if bound is not None),
        default=Value(BUCKETS[-1][0]),
        output_field=CharField(),
    )
    rows = {
        row["bucket"]: row
        for row in answered.annotate(bucket=bucket)
        .order_by()
        .values("bucket")
        .annotate(
            answered_count=Count("id"),
            judged=Count("id", filter=~Q(lead__verdict="")),
            good=Count("id", filter=Q(lead__verdict=VerdictValue.GOOD)),
            won=Count("id", filter=Q(lead__won_at__isnull=False)),
        )
    }
    curve = []
    for key, _ in BUCKETS:
        row = rows.get(key, {})
        answered_count, judged = row.get("answered_count", 0), row.get("judged", 0)
        good, won = row.get("good", 0), row.get("won", 0)
        curve.append(
            {
                "bucket": key,
                "answered": answered_count,
                "judged": judged,
                "good": good,
                "good_share": _share(good, judged),
                "won": won,
                "won_share": _share(won, answered_count),
            }
        )
    return curve
