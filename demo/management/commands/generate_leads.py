"""`manage.py generate_leads --count N [--password P] [--force]`: a dataset for trying Alignment at scale.

Its own team (`gen-manager`, `gen-marketer-1…5`, `gen-rep-1…20`), a few campaigns, and N leads in
every state spread over the last two years, each with its handoff, timeline, touches, verdict and
feedback items (see `demo/generate.py`); then the dashboard's roll-up is rebuilt.

Rows go in by bulk means, in chunks so memory stays flat: on PostgreSQL each chunk of stories is
drawn and written in SQL (`INSERT … SELECT` from `generate_series`, `--seed` through `setseed`),
elsewhere made in Python and written by `bulk_create` in large batches. Services are not called:
at a million leads they would take hours. On PostgreSQL the tables it wrote are left as after any
bulk load: vacuumed (so the pages' visibility is known and index-only scans skip the heap) and
analyzed. Run again, it adds N more leads to the same team. Refuses
to run with DEBUG off unless `--force`: it creates users with a known password.
"""

import random
import sys
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from alignment.models import Role, User, Vertical
from alignment.models import Team as PeopleTeam
from demo.generate import COLUMNS, Team, lead_stories
from demo.generate_sql import lead_stories_insert
from demo.people import demo_refuse_without_debug, demo_user
from feedback.models import ReasonDay, Verdict
from feedback.rollup import figures_rebuild, theme_figures_rebuild
from leads.models import Campaign, Lead, LeadDay, LeadScore, ReasonCode, Source, ThemeDay
from leads.scores import lead_score_rows_add
from planning.demo import generated_planning_add

CHUNK = 20_000  # leads a chunk in Python (not PostgreSQL)
SQL_CHUNK = 100_000  # leads a chunk in PostgreSQL: its temporary table of stories stays small
YEARS = 2
MARKETERS = 5
REPS = 20
VERTICALS = ("Software", "Manufacturing", "Finance", "Retail", "Healthcare", "Logistics")
# name: (source, cost, marketer number)
CAMPAIGNS = {
    "Generated: webinar series": (Source.WEBINAR, Decimal("6000.00"), 1),
    "Generated: paid search": (Source.PAID_SEARCH, Decimal("18000.00"), 2),
    "Generated: trade fair": (Source.EVENT, Decimal("30000.00"), 3),
    "Generated: newsletter": (Source.EMAIL, Decimal("900.00"), 4),
    "Generated: partner referrals": (Source.PARTNER, None, 5),
    "Generated: social ABM": (Source.SOCIAL, Decimal("11000.00"), 1),
    "Generated: website": (Source.WEB, None, 2),
}
MODELS = {
    "leads_lead": "leads.Lead",
    "feedback_verdict": "feedback.Verdict",
    "leads_handoff": "leads.Handoff",
    "leads_leadevent": "leads.LeadEvent",
    "leads_touch": "leads.Touch",
    "feedback_feedbackitem": "feedback.FeedbackItem",
}


class Command(BaseCommand):
    help = (
        "Generate a realistic dataset at scale: a team of its own (gen-manager, gen-marketer-1…5, "
        "gen-rep-1…20), campaigns, and --count leads in every state over two years with their handoffs, "
        "timelines, touches, verdicts and feedback items. When the gen-* users exist it adds --count more "
        "leads to them (and sets their password only when --password is given). Refuses with DEBUG off "
        "unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="How many leads to add.")
        parser.add_argument("--password", help="Password of the gen-* users (default: demo).")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for a repeatable dataset.")

    def handle(self, *args, count, password=None, force=False, seed=None, **options):
        demo_refuse_without_debug("generate_leads", force=force)
        if count < 1:
            raise CommandError("--count must be at least 1.")
        end = timezone.now()
        start = end - timedelta(days=365 * YEARS)
        with transaction.atomic():
            team = self._team(password)
            if connection.vendor == "postgresql":
                with _bulk_load(rebuild_indexes=count >= Lead.objects.count(), say=self.stdout.write):
                    self._load(team=team, count=count, start=start, end=end, seed=seed)
            else:
                self._load(team=team, count=count, start=start, end=end, seed=seed)
            self.stdout.write("Rebuilding the dashboard's roll-up…")
            figures_rebuild()
            requests = generated_planning_add(leads=count, rng=random.Random(seed))
            theme_figures_rebuild()  # the themes were just added to the verdicts in bulk
            # That updated leads this transaction inserted, which queues their deferred foreign-key
            # checks; run them now, as the commit would, so that a next load in the same transaction
            # (a test's) may rebuild the leads' indexes.
            connection.check_constraints()
        if connection.vendor == "postgresql":
            _vacuum_analyze(say=self.stdout.write)
        self.stdout.write(f"Added pain themes to a third of the verdicts and {requests} campaign requests.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {count:,} leads. Log in as gen-manager, gen-marketer-1…{MARKETERS} or gen-rep-1…{REPS}."
            )
        )

    # --- the team -----------------------------------------------------------------------------

    def _team(self, password) -> Team:
        existing = User.objects.filter(username__startswith="gen-").exists()
        hashed = make_password(password or "demo") if (password or not existing) else None
        sales, _ = PeopleTeam.objects.get_or_create(name="Generated sales")
        marketing, _ = PeopleTeam.objects.get_or_create(name="Generated marketing")
        people = [("gen-manager", Role.MANAGER, "Gina", "Manager", None)]
        people += [(f"gen-marketer-{n}", Role.MARKETER, "Marketer", str(n), marketing) for n in range(1, MARKETERS + 1)]
        people += [(f"gen-rep-{n}", Role.REP, "Rep", str(n), sales) for n in range(1, REPS + 1)]
        users = {}
        for username, role, first, last, group in people:
            user, _ = demo_user(username, role=role, first_name=first, last_name=last, team=group)
            if hashed:
                # One hash for the whole team: hashing 26 times would take longer than the leads.
                user.password = hashed
            user.save()
            users[username] = user
        campaigns = []
        for name, (source, cost, number) in CAMPAIGNS.items():
            campaign, _ = Campaign.objects.get_or_create(
                name=name, defaults={"source": source, "cost": cost, "owner": users[f"gen-marketer-{number}"]}
            )
            campaigns.append((campaign.pk, campaign.source, campaign.name, campaign.owner_id))
        verticals = [Vertical.objects.get_or_create(name=name)[0].pk for name in VERTICALS]
        self.stdout.write("Added the gen-* team." if not existing else "The gen-* team exists: adding leads to it.")
        return Team(
            manager=users["gen-manager"].pk,
            marketers=[users[f"gen-marketer-{n}"].pk for n in range(1, MARKETERS + 1)],
            reps=[users[f"gen-rep-{n}"].pk for n in range(1, REPS + 1)],
            campaigns=campaigns,
            reasons=list(ReasonCode.objects.filter(active=True).values_list("pk", flat=True)),
            verticals=verticals,
            names={user.pk: user.display_name for user in users.values()},
        )

    # --- the leads ----------------------------------------------------------------------------

    def _load(self, *, team, count, start, end, seed):
        postgresql = connection.vendor == "postgresql"
        rng = None if postgresql else random.Random(seed)  # PostgreSQL draws its own (setseed)
        if postgresql:
            with connection.cursor() as cursor:
                # One process draws every random(): a parallel plan would deal them out in any order.
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                if seed is not None:
                    cursor.execute("SELECT setseed(%s)", [(seed % 2**31) / 2**31])
        show = sys.stderr.isatty()
        with tqdm(total=count, unit=" leads", unit_scale=True, disable=not show, file=sys.stderr) as bar:
            done = 0
            while done < count:
                size = min(SQL_CHUNK if postgresql else CHUNK, count - done)
                # Each chunk covers its share of the two years, so ids and capture dates rise together.
                chunk_start = start + (end - start) * done / count
                chunk_end = start + (end - start) * (done + size) / count
                first_id = self._reserve("leads_lead", size)
                story = {"team": team, "first_id": first_id, "count": size, "start": chunk_start, "end": chunk_end}
                if postgresql:
                    with connection.cursor() as cursor:
                        lead_stories_insert(cursor, **story, now=end)
                else:
                    self._write_rows(lead_stories(**story, now=end, rng=rng))
                lead_score_rows_add(ids_from=first_id, ids_to=first_id + size)
                done += size
                bar.update(size)
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = DEFAULT")

    def _reserve(self, table, size) -> int:
        """The first of `size` fresh ids for `table`, taken from its sequence (PostgreSQL) or after
        its largest id (elsewhere: the command holds the only write transaction)."""
        if not size:
            return 0
        model = apps.get_model(MODELS[table])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s)",
                    [table, table, size - 1],
                )
                return cursor.fetchone()[0] - size + 1
        last = model.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return last + 1

    def _write_rows(self, rows):
        """lead_stories' rows, by bulk_create (not PostgreSQL: that writes in SQL)."""
        first_verdict = self._reserve("feedback_verdict", len(rows["feedback_verdict"]))
        rows["feedback_verdict"] = [(first_verdict + i, *row) for i, row in enumerate(rows["feedback_verdict"])]
        rows["feedback_feedbackitem"] = [
            row if row[6] is None else (*row[:6], first_verdict - row[6] - 1, *row[7:])
            for row in rows["feedback_feedbackitem"]
        ]
        for table, table_rows in rows.items():
            model = apps.get_model(MODELS[table])
            columns = COLUMNS[table]
            model.objects.bulk_create(
                (model(**dict(zip(columns, row, strict=True))) for row in table_rows), batch_size=5000
            )


@contextmanager
def _bulk_load(*, rebuild_indexes: bool, say):
    """PostgreSQL loads fastest without per-row work: the foreign-key triggers are skipped where the
    role may (a superuser; the generated rows reference only rows that exist), and when the load at
    least doubles the leads, the secondary indexes of the tables it fills are dropped and built again
    afterwards, which is several times faster than maintaining them row by row. Indexes behind
    constraints (primary keys, the unique email) stay and keep checking."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        definitions = []
        if rebuild_indexes:
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                """,
                [list(COLUMNS)],
            )
            definitions = cursor.fetchall()
            for name, _ in definitions:
                cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        if definitions:
            say(f"Building {len(definitions)} indexes again…")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in definitions:
            cursor.execute(definition)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        for table in COLUMNS:
            cursor.execute(f"ANALYZE {table}")


def _vacuum_analyze(*, say):
    """VACUUM (ANALYZE) every table the load wrote, once its transaction has committed: right after a
    bulk load no page is marked all-visible, so every index scan visits the heap too and the
    dashboard's first reads take twice as long. VACUUM can't run inside a transaction: under a
    caller's (a test's) the tables get a plain ANALYZE instead."""
    rollups = [LeadDay._meta.db_table, ReasonDay._meta.db_table, ThemeDay._meta.db_table]
    tables = [*COLUMNS, LeadScore._meta.db_table, *rollups, Verdict.pain_themes.through._meta.db_table]
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    say(f"{command} of {len(tables)} tables…")
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {table}")
