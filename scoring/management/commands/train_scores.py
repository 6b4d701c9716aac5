from django.core.management.base import BaseCommand

from scoring.services import scoring_train

ROWS = (
    ("auc", "ROC AUC"),
    ("brier", "Brier score"),
    ("brier_skill", "Brier skill"),
    ("calibration_error", "Calibration error (ECE, 10 bins)"),
)


def _shown(value):
    return "—" if value is None else f"{value:.4f}"


class Command(BaseCommand):
    help = "Train the lead score now: print its held-out figures beside the baselines' and whether it serves."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Serve the new model even if it is worse.")

    def handle(self, *args, force=False, **options):
        model = scoring_train(force=force)
        if model is None:
            self.stdout.write("No verdicts yet: nothing to learn from. Scores stay empty.")
            return
        self.stdout.write(
            f"Model v{model.version}: {model.verdicts} verdicts ({model.good} good, {model.bad} bad), "
            f"base rate {model.base_rate:.3f}, trained in {model.seconds:.1f} s."
        )
        metrics = model.metrics
        if metrics.get("model"):
            self.stdout.write(
                f"Held out: trained on {metrics['train']} verdicts before {metrics['cutoff']}, tested on the "
                f"{metrics['test']} after."
            )
            self.stdout.write(f"{'':34} {'model':>8} {'base rate':>10} {'campaign':>10}")
            for key, label in ROWS:
                self.stdout.write(
                    f"{label:34} {_shown(metrics['model'][key]):>8} {_shown(metrics['base_rate'][key]):>10} "
                    f"{_shown(metrics['campaign_only'][key]):>10}"
                )
            for point in model.learning_curve:
                self.stdout.write(
                    f"  learning curve: {point['verdicts']:>5} verdicts  AUC {_shown(point['auc'])}  "
                    f"ECE {_shown(point['calibration_error'])}"
                )
        else:
            self.stdout.write("An early estimate: too few verdicts to hold any out for a test.")
        self.stdout.write(model.decision_note)
