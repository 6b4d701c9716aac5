"""Serving the score in SQL, on PostgreSQL and SQLite alike: no numpy, no model file.

A lead's calibrated log-odds is the active model's `bias` plus, per feature, the `effect` of the
lead's value (0 for a value the model never saw); its score is the logistic of that. One statement
computes it for any set of leads by joining the feature expressions (scoring/features.py) to the
weight rows, so a full rescore is a few batched writes of the narrow score rows (`LeadScore`) and one lead's
explanation is one SELECT.

`leads_rescore` is what the leads floor calls when a lead's features change (leads/scores.py): it
runs after the change commits, one statement for the batch, and costs no query while no model serves
(the active model's id is remembered per process for a few seconds, `alignment.caching`).
"""

import math

from django.db import connection, transaction

from alignment.caching import local_cached, local_forget
from leads.models import Lead, LeadScore, LeadStatus
from scoring.features import FEATURE_NAMES, features_select
from scoring.models import ScoreModel, ScoreWeight

ACTIVE_KEY = "scoring:active-model"
NO_MODEL = 0
RESCORE_BATCH = 50_000
CLAMP = 35.0

MODEL = ScoreModel._meta.db_table
WEIGHT = ScoreWeight._meta.db_table
LEAD = Lead._meta.db_table
SCORE = LeadScore._meta.db_table


def active_model_id() -> int | None:
    found = local_cached(
        ACTIVE_KEY, lambda: ScoreModel.objects.filter(active=True).values_list("id", flat=True).first() or NO_MODEL
    )
    return found or None


def active_model_forget() -> None:
    local_forget(ACTIVE_KEY)


def _weight_joins() -> str:
    return "\n".join(
        f"LEFT JOIN {WEIGHT} w{i} ON w{i}.model_id = m.id AND w{i}.feature = '{name}' AND w{i}.value = f.f_{name}"
        for i, name in enumerate(FEATURE_NAMES)
    )


def _logit_sql() -> str:
    return "m.bias + " + " + ".join(f"COALESCE(w{i}.effect, 0)" for i in range(len(FEATURE_NAMES)))


def _score_sql(z: str) -> str:
    return f"1.0 / (1.0 + EXP(-(CASE WHEN {z} > {CLAMP} THEN {CLAMP} WHEN {z} < -{CLAMP} THEN -{CLAMP} ELSE {z} END)))"


def scores_select(where: str, *, active: bool = False) -> str:
    """`SELECT lead_id, score` of the leads matching `where` (over `l`) under the model `%s`, or
    with `active` under whichever model serves when the statement runs."""
    model = "m.active" if active else "m.id = %s"
    inner = (
        f"SELECT f.lead_id, {_logit_sql()} AS z\n"
        f"FROM ({features_select(connection.vendor, where)}) f\n"
        f"CROSS JOIN {MODEL} m\n{_weight_joins()}\nWHERE {model}"
    )
    return f"SELECT s.lead_id, {_score_sql('s.z')} AS score FROM ({inner}) s"


def _update(where: str, params: list, model_id: int | None) -> int:
    """Rescore the leads matching `where` under `model_id` (None: the serving model): their score
    rows, only where the score changes (a lead without its row gets one)."""
    sql = (
        f"INSERT INTO {SCORE} (lead_id, score) SELECT n.lead_id, n.score "
        f"FROM ({scores_select(where, active=model_id is None)}) n WHERE true "
        f"ON CONFLICT (lead_id) DO UPDATE SET score = excluded.score "
        f"WHERE {SCORE}.score IS NULL OR {SCORE}.score <> excluded.score"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params] if model_id is None else [*params, model_id])
        return cursor.rowcount


def leads_rescore(*, lead_ids: list[int]) -> None:
    """Rescore these leads once the change that touched them commits (see the module docstring)."""

    def run():
        # The remembered id only says whether any model serves; the statement reads which one does
        # now, so a process that has not yet heard of a promotion still scores with the new model.
        if active_model_id() is None or not lead_ids:
            return
        placeholders = ", ".join(["%s"] * len(lead_ids))
        _update(f"l.id IN ({placeholders}) AND l.merged_into_id IS NULL", list(lead_ids), None)

    transaction.on_commit(run)


def leads_rescore_all(*, model_id: int | None) -> int:
    """Every lead not merged away and not closed (won or lost: judged already, they keep the score
    they closed with), under `model_id` (None: every score back to null), in batches of
    RESCORE_BATCH ids so no statement holds a million rows' locks at once. Returns the rows changed."""
    if model_id is None:
        return LeadScore.objects.filter(score__isnull=False).update(score=None)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {LEAD}")
        low, high = cursor.fetchone()
    if low is None:
        return 0
    changed = 0
    for start in range(low, high + 1, RESCORE_BATCH):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The planner's cost of a batch calls for JIT compilation, which takes longer than the batch.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
                    cursor.execute("SET LOCAL work_mem = '64MB'")  # the batch's hash joins stay in memory
            changed += _update(
                "l.id >= %s AND l.id < %s AND l.merged_into_id IS NULL AND l.status NOT IN (%s, %s)",
                [start, start + RESCORE_BATCH, LeadStatus.WON, LeadStatus.LOST],
                model_id,
            )
    return changed


def lead_score_parts(*, lead_id: int, bias: float, model_id: int) -> dict | None:
    """One lead's value, weight row and effect per feature, and its score, in one query.

    The lead's values become one row per feature joined once to the weights (thirteen joins would
    cost more to plan than to run); the score is then summed in the serving statement's order."""
    values = " UNION ALL ".join(
        f"SELECT '{name}' AS feature, {i} AS position, f_{name} AS value FROM f" for i, name in enumerate(FEATURE_NAMES)
    )
    sql = (
        f"WITH f AS ({features_select(connection.vendor, 'l.id = %s')}), v AS ({values})\n"
        f"SELECT v.feature, v.value, w.label, w.judged, w.good, w.effect FROM v\n"
        f"LEFT JOIN {WEIGHT} w ON w.model_id = %s AND w.feature = v.feature AND w.value = v.value\n"
        "ORDER BY v.position"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [lead_id, model_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    parts = [
        {
            "feature": feature,
            "value": value,
            "label": label,
            "judged": judged or 0,
            "good": good or 0,
            "effect": effect or 0.0,
        }
        for feature, value, label, judged, good, effect in rows
    ]
    z = bias
    for part in parts:
        z += part["effect"]
    z = max(-CLAMP, min(CLAMP, z))
    return {"features": parts, "score": 1.0 / (1.0 + math.exp(-z))}
