"""The lead score at the size of the data it is pointed at, each figure beside a same-run baseline.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment_bench .venv/bin/python bench/scoring.py
    DATABASE_URL=postgres://… .venv/bin/python bench/scoring.py --leads 100000

With BENCH_DATABASE_URL it works on that migrated PostgreSQL database as it is (holding generated
leads: `manage.py generate_leads`, whose verdicts carry planted effects). Otherwise in a sibling
database `<name>_scoring_bench`, migrated and filled with generated leads up to --leads. It trains
(`scoring_train`, forced to serve) and prints:
- training: wall time (load, fit, held-out test and learning curve, refit, save) and the process's
  peak RSS, beside one GROUP BY over the verdicts and the one SELECT that reads every judged lead's
  features; then the training's full rescore, every open lead's score unset first;
- the held-out figures beside the base-rate and campaign-only baselines, and the learning curve;
- the ceiling: the generator's own probabilities on the same held-out verdicts, both the whole
  (with the rep's response time and a later win's log-odds, unknown at handoff) and the best a
  reading at handoff can do (each planted log-odds' good share among the training verdicts); the
  model's Brier skill is printed beside that ceiling and the two baselines;
- that full rescore of every open lead beside a plain UPDATE of the same score rows (the write floor);
- one lead's score with its explanation beside fetching that lead by its id;
- a rep's inbox sorted by score (the first page of the rep home's two lists) beside the same lists'
  first rows by id, and the lead list API's first page `?ordering=-score` beside its newest-first page.

Options: --runs N (default 7), --leads N (the sibling database's size, default 100,000).
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

sys.path.insert(0, str(BASE_DIR / "bench"))

from benchdb import bench_database_url, create_database, django_setup, pages_through_the_test_client  # noqa: E402
from pages import median_ms  # noqa: E402


def planted_probabilities(data, train_index):
    """What the generator knew of each judged lead (demo/generate.py), in `data`'s order: the whole
    chance it was judged good, and the best reading at handoff, P(good | planted log-odds) as the
    good share of the training verdicts with the same planted log-odds."""
    import math

    import numpy as np

    from alignment.models import Vertical
    from demo.generate import FREE_MAIL_DOMAIN, PLANTED_WON, TITLES, planted_log_odds, response_log_odds
    from demo.management.commands.generate_leads import CAMPAIGNS, VERTICALS
    from leads.models import Campaign, Lead, LeadStatus

    names = dict(Campaign.objects.filter(name__in=list(CAMPAIGNS)).values_list("id", "name"))
    campaigns = {pk: list(CAMPAIGNS).index(name) for pk, name in names.items()}
    verticals = {
        pk: VERTICALS.index(name) for pk, name in Vertical.objects.filter(name__in=VERTICALS).values_list("id", "name")
    }
    ids = [int(i) for i in data.lead_ids]
    rows = {}
    columns = (
        "id",
        "campaign_id",
        "email",
        "industry_id",
        "country",
        "title",
        "status",
        "accepted_at",
        "handed_off_at",
    )
    for start in range(0, len(ids), 50_000):
        for row in Lead.objects.filter(pk__in=ids[start : start + 50_000]).values_list(*columns):
            rows[row[0]] = row
    planted, whole = np.empty(len(ids)), np.empty(len(ids))
    for n, pk in enumerate(ids):
        _, campaign, email, vertical, country, title, status, accepted, handed = rows[pk]
        planted[n] = planted_log_odds(
            campaign_index=campaigns[campaign],
            free_mail=email.endswith("@" + FREE_MAIL_DOMAIN),
            vertical_index=verticals[vertical],
            country=country,
            title_index=TITLES.index(title),
        )
        z = planted[n] + response_log_odds(accepted - handed) + (PLANTED_WON if status == LeadStatus.WON else 0.0)
        whole[n] = 1.0 / (1.0 + math.exp(-z))
    training = np.zeros(len(ids), dtype=bool)
    training[train_index] = True
    good, cells = data.good.astype(float), np.round(planted, 6)
    at_handoff = np.full(len(ids), good[training].mean())
    for cell in np.unique(cells):
        mine = cells == cell
        if (mine & training).any():
            at_handoff[mine] = good[mine & training].mean()
    return whole, at_handoff


def planted_effects_recovered(effects) -> bool:
    """Prints the served model's effect (calibrated log-odds) of each planted value, and says whether
    each has the sign and order the generator planted (demo/generate.py)."""
    from alignment.models import Vertical
    from demo.generate import PLANTED_GOOD_CAMPAIGNS, PLANTED_PAIR
    from demo.management.commands.generate_leads import CAMPAIGNS, VERTICALS
    from leads.models import Campaign

    def effect(feature, value):
        return effects.get((feature, str(value)), 0.0)

    ids = dict(Campaign.objects.filter(name__in=list(CAMPAIGNS)).values_list("name", "id"))
    campaigns = [effect("campaign", ids[name]) for name in CAMPAIGNS]
    good, rest = campaigns[:PLANTED_GOOD_CAMPAIGNS], campaigns[PLANTED_GOOD_CAMPAIGNS:]
    seniority = [effect("seniority", rank) for rank in ("c_level", "director", "manager", "")]
    vertical = Vertical.objects.get(name=VERTICALS[PLANTED_PAIR[0]])
    pair = effect("vertical", vertical.pk) + effect("country", PLANTED_PAIR[1])
    print(f"planted effects recovered: free mail {effect('email_kind', 'free'):+.2f}, company mail "
          f"{effect('email_kind', 'company'):+.2f}; the good campaigns {min(good):+.2f} or more, the rest "
          f"{max(rest):+.2f} or less; C-level {seniority[0]:+.2f}, director {seniority[1]:+.2f}, manager "
          f"{seniority[2]:+.2f}, no title {seniority[3]:+.2f}; {vertical.name} and {PLANTED_PAIR[1]} "
          f"{pair:+.2f} together")  # fmt: skip
    return (
        effect("email_kind", "free") < 0 < effect("email_kind", "company")
        and min(good) > 0 > max(rest)
        and seniority == sorted(seniority, reverse=True)
        and seniority[3] < 0 < seniority[0]
        and pair < 0
    )


def bench_database(leads: int) -> None:
    """BENCH_DATABASE_URL as it is, or the sibling database migrated and filled up to `leads`."""
    if os.environ.get("BENCH_DATABASE_URL"):
        django_setup(os.environ["BENCH_DATABASE_URL"])
        return
    url = bench_database_url("_scoring_bench")
    create_database(url)
    django_setup(url)
    from django.core.management import call_command
    from django.db import connection

    from leads.models import Lead

    call_command("migrate", verbosity=0)
    have = Lead.objects.count()
    if have < leads:
        with open(os.devnull, "w") as quiet:
            call_command("generate_leads", count=leads - have, force=True, seed=leads, stdout=quiet)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    bench_database(args.leads)
    pages_through_the_test_client()
    from django.db import connection
    from django.db.models import Count
    from rest_framework.test import APIClient
    from summary import record

    from alignment.models import User
    from leads.models import ACCEPTED_OPEN_STATUSES, Handoff, HandoffOutcome, Lead, LeadScore, LeadStatus
    from leads.selectors import inbox_for_rep
    from scoring import serving
    from scoring.selectors import lead_score_explain
    from scoring.services import scoring_train, verdicts_load

    leads = Lead.objects.count()
    print(f"{leads:,} leads")

    # --- training ---
    from feedback.models import Verdict
    from scoring import training  # numpy and scikit-learn load once per worker, not per training

    started = time.perf_counter()
    counts = dict(Verdict.objects.values_list("verdict").annotate(n=Count("id")).values_list("verdict", "n"))
    group_s = time.perf_counter() - started
    started = time.perf_counter()
    data = verdicts_load()
    load_s = time.perf_counter() - started
    del data
    # The training's own rescore is the full rescore from null: every open lead's score is unset first.
    open_rows = Lead.objects.filter(merged_into__isnull=True).exclude(status__in=[LeadStatus.WON, LeadStatus.LOST])
    rows = open_rows.count()
    LeadScore.objects.filter(lead__in=open_rows, score__isnull=False).update(score=None)
    rescore = serving.leads_rescore_all
    rescored = {}

    def timed_rescore(**kwargs):
        started = time.perf_counter()
        rescored["changed"] = rescore(**kwargs)
        rescored["s"] = time.perf_counter() - started
        return rescored["changed"]

    serving.leads_rescore_all = timed_rescore
    started = time.perf_counter()
    model = scoring_train(force=True)
    total_s = time.perf_counter() - started
    serving.leads_rescore_all = rescore
    rescore_s = rescored["s"]
    train_s = total_s - rescore_s
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # After the training's memory is measured: the ceiling reads the same verdicts again.
    data = verdicts_load()
    split = training.time_split(data)
    if split is not None:
        whole, at_handoff = planted_probabilities(data, split[0])
        test = split[1]
        y = data.good[test].astype(float)
        base_rate = training.base_rate_of(data.good[split[0]])
        ceiling = training.figures(whole[test], y, base_rate), training.figures(at_handoff[test], y, base_rate)
    print(f"training on {model.verdicts:,} verdicts: {train_s:.1f} s (then its full rescore {rescore_s:.1f} s), "
          f"peak RSS {rss_mb:.0f} MB; one GROUP BY over the "
          f"{sum(counts.values()):,} verdicts {group_s:.2f} s; reading the features {load_s:.1f} s")  # fmt: skip
    record(
        f"score training at {leads:,} leads",
        train_s,
        group_s,
        "s",
        "< 120 s",
        train_s < 120,
        "a GROUP BY over the verdicts",
    )
    record(f"score training's peak RSS at {leads:,} leads", rss_mb, 0, "MB", "< 1024 MB", rss_mb < 1024, "—")
    metrics = model.metrics
    if metrics.get("model"):
        print(f"held out: {metrics['train']:,} verdicts before {metrics['cutoff'][:10]}, {metrics['test']:,} after")
        print(f"{'':28} {'model':>8} {'base rate':>10} {'campaign':>10}")
        for key in ("auc", "brier", "brier_skill", "calibration_error"):
            shown = [metrics[k][key] for k in ("model", "base_rate", "campaign_only")]
            print(f"{key:28} " + " ".join(f"{v:>9.4f}" if v is not None else f"{'—':>9}" for v in shown))
        if split is not None:
            for name, figs in zip(
                ("the generator's whole chance", "the best at handoff (ceiling)"), ceiling, strict=True
            ):
                print(
                    f"{name:28} "
                    + " ".join(f"{figs[k]:>9.4f}" for k in ("auc", "brier", "brier_skill", "calibration_error"))
                )
            skill, best = metrics["model"]["brier_skill"], ceiling[1]["brier_skill"]
            print(f"Brier skill: model {skill:.4f}; the ceiling at handoff {best:.4f} (the model reaches "
                  f"{skill / best:.0%} of it); base rate {metrics['base_rate']['brier_skill']:.4f}; "
                  f"campaign only {metrics['campaign_only']['brier_skill']:.4f}")  # fmt: skip
            record("Brier skill", skill, best, "", "≥ 0.10", skill >= 0.10,
                   "the ceiling at handoff")  # fmt: skip
        for point in model.learning_curve:
            print(f"  learning curve {point['verdicts']:>5} verdicts: AUC {point['auc']:.3f}, "
                  f"calibration error {point['calibration_error']:.3f}, Brier {point['brier']:.4f}")  # fmt: skip
        auc, campaign_auc = metrics["model"]["auc"], metrics["campaign_only"]["auc"]
        record("held-out AUC", auc, campaign_auc, "", "≥ campaign only + 0.05", auc >= campaign_auc + 0.05,
               "campaign only")  # fmt: skip
        ece = metrics["model"]["calibration_error"]
        record("calibration error", ece, metrics["base_rate"]["calibration_error"], "", "≤ 0.03", ece <= 0.03,
               "the base rate's")  # fmt: skip
        recovered = planted_effects_recovered({(w.feature, w.value): w.effect for w in model.weights.all()})
        record("planted effects with their sign and order", float(recovered), 0, "", "1 (all)", recovered, "—")

    # --- the full rescore (timed in the training) beside the write floor ---
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute(
            "UPDATE leads_leadscore s SET score = score + 0 FROM leads_lead l "
            "WHERE l.id = s.lead_id AND l.merged_into_id IS NULL AND l.status NOT IN ('won', 'lost')"
        )
    floor_s = time.perf_counter() - started
    print(f"full rescore of {rows:,} open leads from null: {rescore_s:.1f} s; a plain UPDATE of them {floor_s:.1f} s")
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
        inbox_for_rep(user=rep, size=25)

    def inbox_by_id():
        awaiting = Handoff.objects.filter(to_rep=rep, outcome=HandoffOutcome.OPEN)
        list(awaiting.select_related("lead", "lead__campaign", "by").order_by("id")[:26])
        working = Lead.objects.filter(owner=rep, status__in=ACCEPTED_OPEN_STATUSES, merged_into__isnull=True)
        list(working.select_related("campaign").order_by("id")[:26])

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
