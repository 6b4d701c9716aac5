"""Training the lead score and putting it to work: champion and challenger, the audit log, the
batched rescore. (The fitting itself is scoring/training.py; the SQL serving scoring/serving.py.)

The target is a handed-off lead's *first* verdict, good or bad (a revised verdict does not rewrite
what the rep first said); merged leads are left out. Every training run is kept as a ScoreModel:
a challenger replaces the serving champion only when neither its held-out AUC nor its Brier score
is worse, on the same held-out verdicts (see `_compare`), and the change is in the audit log.
"""

import time
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from psycopg.types.datetime import TimestamptzLoader

from alignment.audit import audit_record
from alignment.models import AuditArea, Team, User, Vertical
from feedback.models import Verdict
from leads.models import Campaign, CaptureChannel, Source, VerdictValue
from scoring import serving
from scoring.features import (
    FEATURE_NAMES,
    SENIORITY_LABELS,
    TOUCH_LABELS,
    VALUE_BAND_LABELS,
    YES_NO,
    features_select,
)
from scoring.models import ScoreDecision, ScoreModel, ScoreWeight

VERDICT = Verdict._meta.db_table
FETCH = 20_000
# Fresh verdicts (after the champion's data) needed to judge champion and challenger on them.
MIN_FRESH = 40


def verdicts_load(*, until: datetime | None = None):
    """The judged leads' features and first verdicts, oldest verdict first, as codes (training.Verdicts).

    Streams the rows in FETCH-sized batches into integer codes, so memory grows with the verdicts,
    never with the leads, and no row's strings are kept."""
    import numpy as np

    from scoring.training import Verdicts

    where = f"l.merged_into_id IS NULL AND l.handed_off_at IS NOT NULL AND l.id IN (SELECT lead_id FROM {VERDICT})"
    params: list = []
    # Each lead's first verdict: one pass over the verdicts, numbered per lead in the order given.
    given = (
        "SELECT lead_id, verdict, created_at, ROW_NUMBER() OVER (PARTITION BY lead_id ORDER BY created_at, id) AS n"
        f" FROM {VERDICT}"
    )
    if until is not None:
        given += " WHERE created_at <= %s"
        params.append(until)
    first = f"SELECT v.lead_id, v.verdict, v.created_at FROM ({given}) v WHERE v.n = 1"
    sql = (
        f"SELECT f.*, fv.verdict, fv.created_at FROM ({first}) fv "
        f"JOIN ({features_select(connection.vendor, where)}) f ON f.lead_id = fv.lead_id "
        "ORDER BY fv.created_at, fv.lead_id"
    )
    vocab: list[dict[str, int]] = [{} for _ in FEATURE_NAMES]
    ids, codes, good, at = [], [], [], []
    width = len(FEATURE_NAMES)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")  # compiling this query would take longer than running it
            cursor.execute("SET LOCAL work_mem = '64MB'")  # its sorts and hashes in memory, not on disk
            # The verdicts' times through psycopg's own loader (C), not Django's, which parses each one
            # in Python: most of the rows' fetch time at a million verdicts. Both give the same instant.
            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            block = np.empty((len(rows), width), dtype=np.int32)
            for r, row in enumerate(rows):
                ids.append(row[0])
                for f in range(width):
                    words = vocab[f]
                    block[r, f] = words.setdefault(row[1 + f] or "", len(words))
                good.append(1 if row[1 + width] == VerdictValue.GOOD else 0)
                at.append(_aware(row[2 + width]))
            codes.append(block)
    words = [sorted(v, key=v.get) for v in vocab]
    return Verdicts(
        np.array(ids, dtype=np.int64),
        np.concatenate(codes) if codes else np.empty((0, width), dtype=np.int32),
        words,
        np.array(good, dtype=np.int8),
        at,
    )


def _aware(value) -> datetime:
    """A raw cursor's time: SQLite hands back text or a naive UTC time, PostgreSQL an aware one."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def value_labels() -> dict[str, dict[str, str]]:
    """How people name each feature's values (campaigns, verticals and teams by their names)."""
    return {
        "campaign": {str(pk): name for pk, name in Campaign.objects.values_list("id", "name")},
        "vertical": {str(pk): name for pk, name in Vertical.objects.values_list("id", "name")},
        "team": {str(pk): name for pk, name in Team.objects.values_list("id", "name")},
        "source": dict(Source.choices),
        "channel": dict(CaptureChannel.choices),
        "seniority": SENIORITY_LABELS,
        "email_kind": {"free": "free-mail", "company": "company"},
        "phone": YES_NO,
        "company": YES_NO,
        "value_band": VALUE_BAND_LABELS,
        "touches": TOUCH_LABELS,
    }


def _label(labels, feature, value) -> str:
    if value == "" and feature not in labels:
        return "unknown"
    return labels.get(feature, {}).get(value) or value or "unknown"


def _weights_of(champion: ScoreModel) -> tuple[float, dict]:
    rows = ScoreWeight.objects.filter(model=champion).values_list("feature", "value", "effect")
    effects: dict = {}
    for feature, value, effect in rows:
        effects[(feature, value)] = effect
    return champion.bias, effects


def _predict_with(bias, effects, data, index):
    import numpy as np

    from scoring.training import sigmoid

    z = np.full(len(index), bias)
    for f, name in enumerate(FEATURE_NAMES):
        lookup = np.array([effects.get((name, w), 0.0) for w in data.vocab[f]] or [0.0])
        z += lookup[data.codes[index, f]]
    return sigmoid(z)


def _compare(champion: ScoreModel | None, evaluation, data) -> tuple[bool, str, dict]:
    """Whether the challenger may serve, why, and the figures both were judged on.

    Judged on the held-out verdicts the champion never counted (after its `data_until`), when there
    are MIN_FRESH of them with both outcomes: the champion's serving weights against the challenger
    fitted before the cutoff. With fewer, the challenger's held-out figures against the ones the
    champion had when it was trained. An early champion gives way to any tested challenger."""
    from scoring.training import figures

    if champion is None:
        return True, "No model was serving.", {}
    if evaluation is None:
        if champion.early:
            return True, "Both are early estimates: the newer counts more verdicts.", {}
        return False, "Too few verdicts to test the challenger on; the tested champion keeps serving.", {}
    if champion.early or not champion.metrics.get("model"):
        return True, "The champion was an early estimate without a held-out test.", {}
    test = evaluation.test_index
    fresh = test[[data.at[i] > champion.data_until for i in test]] if champion.data_until else test
    y = data.good[fresh].astype(float)
    if len(fresh) >= MIN_FRESH and 0 < y.sum() < len(y):
        bias, effects = _weights_of(champion)
        old = figures(_predict_with(bias, effects, data, fresh), y, evaluation.fitted.base_rate)
        new = figures(evaluation.fitted.predict(data.codes[fresh]), y, evaluation.fitted.base_rate)
        where = f"on the {len(fresh)} verdicts given since v{champion.version} was trained"
    else:
        old, new = champion.metrics["model"], evaluation.model
        where = "on each one's own held-out verdicts (too few new verdicts to test both on)"
    worse = []
    if new["auc"] is not None and old.get("auc") is not None and new["auc"] < old["auc"]:
        worse.append(f"AUC {new['auc']:.3f} < {old['auc']:.3f}")
    if new["brier"] > old["brier"]:
        worse.append(f"Brier {new['brier']:.4f} > {old['brier']:.4f}")
    comparison = {"champion": old, "challenger": new, "judged_on": where}
    if worse:
        return False, f"Kept v{champion.version}: the challenger is worse {where} ({'; '.join(worse)}).", comparison
    return True, f"Neither AUC nor Brier is worse than v{champion.version}'s {where}.", comparison


def _metrics_of(evaluation) -> dict:
    if evaluation is None:
        return {}
    return {
        "model": evaluation.model,
        "base_rate": evaluation.base_rate,
        "campaign_only": evaluation.campaign_only,
        "train": evaluation.train,
        "test": evaluation.test,
        "cutoff": evaluation.cutoff.isoformat() if evaluation.cutoff else None,
    }


def scoring_train(*, by: User | None = None, now: datetime | None = None, force: bool = False) -> ScoreModel | None:
    """Train a challenger on every first verdict up to now, test it on a time split, keep it, and
    let it serve when it is not worse than the champion (`force`: whatever it scores). Returns the
    new ScoreModel, or None when there is no verdict to learn from yet."""
    from scoring import training

    started = time.monotonic()
    now = now or timezone.now()
    data = verdicts_load(until=now)
    if len(data) == 0:
        return None
    evaluation = training.evaluate(data)
    fitted = training.fit(data)  # the serving model counts every verdict, yesterday's too
    labels = value_labels()
    with transaction.atomic():
        champion = ScoreModel.objects.select_for_update().filter(active=True).first()
        promote, note, comparison = _compare(champion, evaluation, data)
        if force and not promote:
            promote, note = True, f"Promoted by hand over v{champion.version}: {note}"
        version = (ScoreModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        metrics = _metrics_of(evaluation)
        if comparison:
            metrics["comparison"] = comparison
        model = ScoreModel.objects.create(
            version=version,
            trained_at=now,
            data_until=data.at[-1],
            verdicts=len(data),
            good=int(data.good.sum()),
            bad=int(len(data) - data.good.sum()),
            early=fitted.early,
            base_rate=fitted.base_rate,
            bias=fitted.bias,
            calibration_slope=fitted.slope,
            calibration_intercept=fitted.calibration_intercept,
            metrics=metrics,
            reliability=evaluation.reliability if evaluation else [],
            learning_curve=evaluation.learning_curve if evaluation else [],
            decision=ScoreDecision.PROMOTED if promote else ScoreDecision.KEPT,
            decision_note=note,
        )
        weights = []
        for f, name in enumerate(FEATURE_NAMES):
            for code, (judged, good, woe) in sorted(fitted.counts[f].items()):
                value = data.vocab[f][code]
                weights.append(
                    ScoreWeight(
                        model=model,
                        feature=name,
                        value=value[:255],
                        label=_label(labels, name, value)[:255],
                        judged=judged,
                        good=good,
                        woe=woe,
                        coefficient=float(fitted.coefficients[f]),
                        effect=fitted.effect(f, code),
                    )
                )
        ScoreWeight.objects.bulk_create(weights, batch_size=2000)
        if promote:
            if champion is not None:
                champion.active = False
                champion.save(update_fields=["active"])
            model.active = True
            model.save(update_fields=["active"])
            audit_record(
                actor=by,
                area=AuditArea.SCORING,
                action="changed",
                target=model,
                changes=_audit_changes(champion, model),
            )
        transaction.on_commit(serving.active_model_forget)
    if promote:
        serving.leads_rescore_all(model_id=model.pk)
    model.seconds = time.monotonic() - started
    model.save(update_fields=["seconds"])
    return model


def _audit_changes(champion: ScoreModel | None, model: ScoreModel) -> dict:
    def shown(m):
        if m is None:
            return None
        auc = (m.metrics.get("model") or {}).get("auc")
        figures = f", held-out AUC {auc:.3f}" if auc is not None else ", early estimate"
        return f"v{m.version} ({m.verdicts} verdicts{figures})"

    return {"serving model": [shown(champion), shown(model)], "why": [None, model.decision_note]}
