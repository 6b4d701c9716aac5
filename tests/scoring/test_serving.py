import math

import pytest

from leads.models import Lead
from scoring.features import FEATURE_NAMES, feature_values
from scoring.models import ScoreModel
from scoring.services import scoring_train

pytestmark = pytest.mark.django_db


def reference_score(lead: Lead, model: ScoreModel) -> float:
    """The same model in plain Python: the lead's values read in Python, its weights' effects summed."""
    effects = {(w.feature, w.value): w.effect for w in model.weights.all()}
    values = feature_values(lead)
    z = model.bias
    for name in FEATURE_NAMES:
        z += effects.get((name, values[name]), 0.0)
    z = max(-35.0, min(35.0, z))
    return 1.0 / (1.0 + math.exp(-z))


def test_sql_score_equals_the_python_reference_on_every_lead(judged):
    # when
    model = scoring_train()
    # then
    assert model.active and not model.early
    leads = list(Lead.objects.select_related("captured_by").order_by("id"))
    assert len(leads) == 640
    for lead in leads:
        assert lead.score is not None
        assert abs(lead.score - reference_score(lead, model)) < 1e-9, lead.pk
    # a planted effect shows: the free-mail leads score lower on average
    free = [lead.score for lead in leads if lead.email.endswith("@gmail.com")]
    company = [lead.score for lead in leads if not lead.email.endswith("@gmail.com")]
    assert sum(free) / len(free) < sum(company) / len(company) - 0.1
