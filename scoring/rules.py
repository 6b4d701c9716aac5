"""The cold-start thresholds, shared by training (numpy) and the pages (no numpy)."""

# Below this many verdicts, or this many good or bad, the score is an early estimate.
MIN_VERDICTS = 40
MIN_EACH = 10
