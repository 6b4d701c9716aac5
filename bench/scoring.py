"""The lead score at the size of the data it is pointed at, each figure beside a same-run baseline.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment_bench .venv/bin/python bench/scoring.py

Point it at a migrated PostgreSQL database holding generated leads (`manage.py generate_leads`,
whose verdicts carry planted effects). It trains (`scoring_train`, forced to serve) and prints:
- training: wall time and peak memory (tracemalloc's peak of Python and numpy allocations, and the
  process's peak RSS), beside the one SELECT that reads every judged lead's features;
- the held-out figures beside the base-rate and campaign-only baselines, and the learning curve;
- a full rescore of every open lead beside a plain UPDATE of the same rows (the write floor);
- one lead's score with its explanation beside fetching that lead by its id;
- a rep's inbox sorted by score (the rep home's two lists) beside the same lists by id, and the
  lead list API's first page `?ordering=-score` beside its newest-first page.

Options: --runs N (default 7).
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from benchdb import django_setup, pages_through_the_test_client  # noqa: E402
from pages import median_ms  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL database holding generated leads.")
    django_setup(url)
    pages_through_the_test_client()
    from django.db import connection
    from rest_framework.test import APIClient
    from summary import record

    from alignment.models import User
    from leads.models import Lead, LeadStatus
    from leads.selectors import inbox_for_rep
    from scoring import serving
    from scoring.selectors import lead_score_explain
    from scoring.services import scoring_train, verdicts_load

    leads = Lead.objects.count()
    print(f"{leads:,} leads")

    # --- training ---
    import scoring.training  # noqa: F401  (numpy and scikit-learn load once per worker, not per training)

    started = time.perf_counter()
    data = verdicts_load()
    load_s = time.perf_counter() - started
    del data
    tracemalloc.start()
    started = time.perf_counter()
    model = scoring_train(force=True)
    train_s = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"training on {model.verdicts:,} verdicts: {train_s:.1f} s (with its full rescore), "
          f"peak traced memory {peak / 2**20:.0f} MB, peak RSS {rss_mb:.0f} MB; "
          f"the SELECT of the judged leads' features alone {load_s:.1f} s")  # fmt: skip
    record(f"score training at {leads:,} leads", train_s, load_s, "s", "< 120 s", train_s < 120, "the verdicts' SELECT")
    metrics = model.metrics
    if metrics.get("model"):
        print(f"held out: {metrics['train']:,} verdicts before {metrics['cutoff'][:10]}, {metrics['test']:,} after")
        print(f"{'':28} {'model':>8} {'base rate':>10} {'campaign':>10}")
        for key in ("auc", "brier", "brier_skill", "calibration_error"):
            shown = [metrics[k][key] for k in ("model", "base_rate", "campaign_only")]
            print(f"{key:28} " + " ".join(f"{v:>9.4f}" if v is not None else f"{'—':>9}" for v in shown))
        for point in model.learning_curve:
            print(f"  learning curve {point['verdicts']:>5} verdicts: AUC {point['auc']:.3f}, "
                  f"calibration error {point['calibration_error']:.3f}, Brier {point['brier']:.4f}")  # fmt: skip
        effects = {(w.feature, w.value): w.effect for w in model.weights.all()}
        print("planted effects recovered: free mail", f"{effects.get(('email_kind', 'free'), 0):+.2f},",
              "company mail", f"{effects.get(('email_kind', 'company'), 0):+.2f},",
              "C-level", f"{effects.get(('seniority', 'c_level'), 0):+.2f},",
              "director", f"{effects.get(('seniority', 'director'), 0):+.2f},",
              "manager", f"{effects.get(('seniority', 'manager'), 0):+.2f},",
              "no title", f"{effects.get(('seniority', ''), 0):+.2f}")  # fmt: skip

    # --- full rescore beside the write floor ---
    open_rows = Lead.objects.filter(merged_into__isnull=True).exclude(status__in=[LeadStatus.WON, LeadStatus.LOST])
    rows = open_rows.count()
    Lead.objects.update(score=None)
    started = time.perf_counter()
    serving.leads_rescore_all(model_id=model.pk)
    rescore_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute(
            "UPDATE leads_lead SET score = score + 0 WHERE merged_into_id IS NULL AND status NOT IN ('won', 'lost')"
        )
    floor_s = time.perf_counter() - started
    print(f"full rescore of {rows:,} open leads: {rescore_s:.1f} s; a plain UPDATE of the same rows {floor_s:.1f} s")
    record(f"full rescore at {leads:,} leads", rescore_s, floor_s, "s", "< 120 s", rescore_s < 120, "a plain UPDATE")

    # --- one score and its explanation ---
    lead = open_rows.order_by("-id").first()
    serving.active_model_id()

    def explain():
        lead_score_explain(lead=lead)

    def fetch():
        Lead.objects.get(pk=lead.pk)

    explain_ms, fetch_ms = median_ms(explain, args.runs), median_ms(fetch, args.runs)
    print(f"one score with its explanation: {explain_ms:.1f} ms; fetching that lead by id {fetch_ms:.1f} ms")
    record("one score and explanation", explain_ms, fetch_ms, "ms", "< 10 ms", explain_ms < 10, "the lead by id")

    # --- the inbox and the list sorted by score ---
    rep = User.objects.filter(username__startswith="gen-rep-").order_by("id").first()

    def inbox():
        lists = inbox_for_rep(user=rep)
        list(lists["awaiting"][:26])
        list(lists["working"][:26])

    def inbox_by_id():
        lists = inbox_for_rep(user=rep)
        list(lists["awaiting"].order_by("id")[:26])
        list(lists["working"].order_by("id")[:26])

    inbox_ms, by_id_ms = median_ms(inbox, args.runs), median_ms(inbox_by_id, args.runs)
    print(f"{rep.username}'s inbox by urgency then score: {inbox_ms:.1f} ms; the same lists by id {by_id_ms:.1f} ms")
    record("inbox sorted by score", inbox_ms, by_id_ms, "ms", "< 100 ms", inbox_ms < 100, "the same lists by id")
    client = APIClient()
    client.force_authenticate(User.objects.get(username="gen-manager"))

    def api(query):
        def get():
            assert client.get(f"/api/leads/{query}").status_code == 200

        return get

    sorted_ms, newest_ms = median_ms(api("?ordering=-score"), args.runs), median_ms(api(""), args.runs)
    print(f"GET /api/leads/?ordering=-score: {sorted_ms:.1f} ms; newest first {newest_ms:.1f} ms")
    record(
        "lead list by score",
        sorted_ms,
        newest_ms,
        "ms",
        "≤ 1.5× newest first",
        sorted_ms <= 1.5 * newest_ms,
        "newest first",
    )


if __name__ == "__main__":
    main()
