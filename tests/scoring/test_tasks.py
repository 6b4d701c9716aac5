import pytest
from django.conf import settings

from scoring.models import ScoreModel
from scoring.tasks import scoring_train_task

pytestmark = pytest.mark.django_db


def test_the_nightly_training_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["train-scores"]
    assert entry["task"] == scoring_train_task.name == "scoring.tasks.scoring_train"


def test_the_task_trains_and_a_second_run_keeps_one_serving_model(judged):
    assert scoring_train_task() == 1
    assert scoring_train_task() == 2
    assert ScoreModel.objects.filter(active=True).count() == 1


def test_the_task_with_no_verdicts_does_nothing(db):
    assert scoring_train_task() is None
    assert not ScoreModel.objects.exists()
