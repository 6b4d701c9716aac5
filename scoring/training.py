"""Fitting the lead score (numpy and scikit-learn: imported by training only, never by a request).

The model, in four steps, each chosen so a rep can read what it says:
1. Per (feature, value), the verdicts' good and bad counts, smoothed toward the base rate by
   SMOOTHING pseudo-verdicts (a value seen twice barely moves), turned into a weight of evidence:
   logit(smoothed good share) − logit(base rate). An unseen value weighs 0: the base rate.
2. A logistic regression over the features' weights of evidence, fitted on out-of-fold values (each
   verdict's weights computed without it), so a value does not vouch for itself and two correlated
   features (a campaign and its source) share one effect instead of counting it twice.
3. A calibration step (Platt: a logistic regression on the model's log-odds) fitted on held-out
   predictions (each fold predicted by the regression fitted on the others), so a 0.7 means seven
   in ten.
4. All three fold into one number per (feature, value), its `effect` on the calibrated log-odds,
   and a `bias`: the score is logistic(bias + Σ effects), which SQL computes (scoring/serving.py).

Below MIN_VERDICTS verdicts, or MIN_EACH good or bad, the model is *early*: no regression and no
held-out test (there is too little to hold out); each feature's weight of evidence counts at
EARLY_COEFFICIENT, the share that keeps correlated features from adding up.
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from scoring.rules import MIN_EACH, MIN_VERDICTS

SMOOTHING = 20.0
FOLDS = 5
EARLY_COEFFICIENT = 0.5
TEST_SHARE = 0.2
MIN_TEST = 20
LEARNING_CURVE_SIZES = (50, 100, 200, 500, 2000)
CLAMP = 35.0  # |log-odds| beyond this is 0 or 1 in a double anyway


@dataclass
class Verdicts:
    """Judged leads in verdict order: each feature's values as codes into its vocabulary."""

    lead_ids: np.ndarray
    codes: np.ndarray  # (n, features) int32
    vocab: list[list[str]]
    good: np.ndarray  # (n,) 1 good, 0 bad
    at: list  # verdict times, ascending

    def __len__(self):
        return len(self.good)

    def take(self, index) -> "Verdicts":
        return Verdicts(
            self.lead_ids[index], self.codes[index], self.vocab, self.good[index], [self.at[i] for i in index]
        )


@dataclass
class Fitted:
    base_rate: float
    early: bool
    # Per feature: {code: (judged, good, woe)} for every code seen, and the regression's coefficient.
    counts: list[dict]
    coefficients: np.ndarray
    intercept: float
    slope: float = 1.0
    calibration_intercept: float = 0.0
    vocab: list[list[str]] = field(default_factory=list)

    @property
    def bias(self) -> float:
        return self.calibration_intercept + self.slope * self.intercept

    def effect(self, feature: int, code: int) -> float:
        entry = self.counts[feature].get(code)
        return self.slope * self.coefficients[feature] * entry[2] if entry else 0.0

    def logit(self, codes: np.ndarray) -> np.ndarray:
        z = np.full(len(codes), self.bias)
        for f in range(codes.shape[1]):
            z += self.slope * self.coefficients[f] * _woe_of(self.counts[f], codes[:, f])
        return z

    def predict(self, codes: np.ndarray) -> np.ndarray:
        return sigmoid(self.logit(codes))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -CLAMP, CLAMP)))


def _logit(p):
    return np.log(p / (1.0 - p))


def base_rate_of(good: np.ndarray) -> float:
    # One pseudo-verdict each way: never exactly 0 or 1, even with one verdict.
    return (float(good.sum()) + 1.0) / (len(good) + 2.0)


def counts_table(codes: np.ndarray, good: np.ndarray, base_rate: float) -> dict:
    """{code: (judged, good, woe)} for one feature's column."""
    if len(codes) == 0:
        return {}
    size = int(codes.max()) + 1
    judged = np.bincount(codes, minlength=size)
    goods = np.bincount(codes, weights=good, minlength=size)
    share = (goods + SMOOTHING * base_rate) / (judged + SMOOTHING)
    woe = _logit(share) - _logit(base_rate)
    return {int(c): (int(judged[c]), int(goods[c]), float(woe[c])) for c in np.nonzero(judged)[0]}


def _woe_of(table: dict, column: np.ndarray) -> np.ndarray:
    if not table:
        return np.zeros(len(column))
    size = max(max(table) + 1, int(column.max()) + 1 if len(column) else 0)
    lookup = np.zeros(size)
    for code, (_, _, woe) in table.items():
        lookup[code] = woe
    return lookup[column]


def _woe_matrix(codes, good, base_rate, rows) -> np.ndarray:
    return np.column_stack(
        [_woe_of(counts_table(codes[rows, f], good[rows], base_rate), codes[:, f]) for f in range(codes.shape[1])]
    )


def is_early(good: np.ndarray) -> bool:
    n_good = int(good.sum())
    return len(good) < MIN_VERDICTS or n_good < MIN_EACH or len(good) - n_good < MIN_EACH


def fit(data: Verdicts, *, seed: int = 0) -> Fitted:
    codes, good = data.codes, data.good
    base_rate = base_rate_of(good)
    counts = [counts_table(codes[:, f], good, base_rate) for f in range(codes.shape[1])]
    features = codes.shape[1]
    if is_early(good):
        return Fitted(
            base_rate, True, counts, np.full(features, EARLY_COEFFICIENT), float(_logit(base_rate)), vocab=data.vocab
        )
    folds = np.random.default_rng(seed).permutation(len(good)) % FOLDS
    oof = np.zeros((len(good), features))
    for k in range(FOLDS):
        others = np.nonzero(folds != k)[0]
        mine = folds == k
        oof[mine] = _woe_matrix(codes, good, base_rate, others)[mine]
    regression = LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=100).fit(oof, good)
    held_out = np.zeros(len(good))
    for k in range(FOLDS):
        mine = folds == k
        fold_model = LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=100).fit(oof[~mine], good[~mine])
        held_out[mine] = fold_model.decision_function(oof[mine])
    platt = LogisticRegression(C=1e6, solver="newton-cholesky", max_iter=100).fit(held_out.reshape(-1, 1), good)
    return Fitted(
        base_rate,
        False,
        counts,
        regression.coef_[0].astype(float),
        float(regression.intercept_[0]),
        float(platt.coef_[0][0]),
        float(platt.intercept_[0]),
        vocab=data.vocab,
    )


# --- held-out figures ---------------------------------------------------------------------------


def calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the verdict-weighted gap between predicted and observed per bin."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mine = which == b
        if mine.any():
            total += mine.sum() * abs(p[mine].mean() - y[mine].mean())
    return float(total / len(p))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict]:
    which = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mine = which == b
        if mine.any():
            out.append(
                {"bin": b, "low": b / bins, "high": (b + 1) / bins, "count": int(mine.sum()),
                 "predicted": float(p[mine].mean()), "observed": float(y[mine].mean())}
            )  # fmt: skip
    return out


def figures(p: np.ndarray, y: np.ndarray, base_rate: float) -> dict:
    brier = float(np.mean((p - y) ** 2))
    brier_base = float(np.mean((base_rate - y) ** 2))
    both = 0 < y.sum() < len(y)
    return {
        "auc": float(roc_auc_score(y, p)) if both else None,
        "brier": brier,
        "brier_skill": 1.0 - brier / brier_base if brier_base > 0 else None,
        "calibration_error": calibration_error(p, y),
    }


def campaign_only(train: Verdicts, test_codes: np.ndarray, base_rate: float, campaign: int = 0) -> np.ndarray:
    """The campaign's smoothed good share in training, what the scorecard already shows."""
    table = counts_table(train.codes[:, campaign], train.good, base_rate)
    return sigmoid(_logit(base_rate) + _woe_of(table, test_codes[:, campaign]))


@dataclass
class Evaluation:
    cutoff: object
    train: int
    test: int
    model: dict
    base_rate: dict
    campaign_only: dict
    reliability: list
    learning_curve: list
    test_index: np.ndarray
    fitted: Fitted


def time_split(data: Verdicts) -> tuple[np.ndarray, np.ndarray] | None:
    """Train on the verdicts before the cutoff, test on the later ones (None: too few to hold out)."""
    n = len(data)
    cut = int(n * (1 - TEST_SHARE))
    if n - cut < MIN_TEST or is_early(data.good[:cut]):
        return None
    test_good = data.good[cut:]
    if test_good.sum() == 0 or test_good.sum() == len(test_good):
        return None
    return np.arange(cut), np.arange(cut, n)


def evaluate(data: Verdicts, *, curve: bool = True) -> Evaluation | None:
    split = time_split(data)
    if split is None:
        return None
    train_index, test_index = split
    train, test = data.take(train_index), data.take(test_index)
    fitted = fit(train)
    y = test.good.astype(float)
    p = fitted.predict(test.codes)  # one vocabulary: the codes are the same in both halves
    constant = np.full(len(y), fitted.base_rate)
    base = figures(constant, y, fitted.base_rate)
    base["auc"] = 0.5
    points = []
    if curve:
        for size in LEARNING_CURVE_SIZES:
            if size > len(train):
                break
            part = train.take(np.arange(len(train) - size, len(train)))
            small = fit(part)
            q = small.predict(test.codes)
            figs = figures(q, y, small.base_rate)
            points.append({"verdicts": size, "early": small.early, **figs})
    return Evaluation(
        cutoff=data.at[test_index[0]],
        train=len(train),
        test=len(test),
        model=figures(p, y, fitted.base_rate),
        base_rate=base,
        campaign_only=figures(campaign_only(train, test.codes, fitted.base_rate), y, fitted.base_rate),
        reliability=reliability(p, y),
        learning_curve=points,
        test_index=test_index,
        fitted=fitted,
    )
