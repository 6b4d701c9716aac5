"""A lead's score, in a narrow row of its own.

The scoring floor's model gives every open lead a chance that a rep judges it good, and after each
training rewrites all of them. Kept in the wide lead row, each of those writes rewrote the lead and
an entry in every one of its indexes; here it is a narrow row with three indexes. Every lead has
its row from its capture on (leads/capture.py, `generate_leads`), `score` null until a model scores
it; lists sorted by score read this table's rank index and join the leads by their key, and a rep's
home reads the best of their work from its rep index.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from leads.models.lead import Lead


class LeadScore(models.Model):
    lead = models.OneToOneField(Lead, primary_key=True, on_delete=models.CASCADE, related_name="scored")
    # Written only by the scoring floor's set-based rescore (leads/scores.py says when).
    score = models.FloatField(null=True, blank=True)
    # The rep working the lead (accepted and still open), so that a rep's best leads come from the
    # index below: set when a rep accepts it, cleared when it leaves their work (`lead_transition`).
    # Readers still check the lead itself: this says only where to look.
    working_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            # `?ordering=-score`: the best first, leads without a score last (-1), from the index's order.
            models.Index(Coalesce("score", Value(-1.0)).desc(), F("lead").desc(), name="lead_score_rank"),
            # The rep's home: the best of the leads a rep works first, however many they hold.
            models.Index(
                "working_owner",
                Coalesce("score", Value(-1.0)).desc(),
                "lead",
                name="lead_score_rep",
                condition=Q(working_owner__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.lead_id}: {self.score}"
