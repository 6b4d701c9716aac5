"""The score's Celery task: nightly on beat (alignment/settings.py) and on demand. Thin."""

from celery import shared_task

from scoring.services import scoring_train


@shared_task(name="scoring.tasks.scoring_train", ignore_result=True, acks_late=True)
def scoring_train_task() -> int | None:
    """Train a challenger and let it serve when it is not worse. Run twice, it trains twice: each
    run is a new version judged against the champion, so a second run changes nothing that matters."""
    model = scoring_train()
    return model.version if model else None
