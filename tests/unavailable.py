import os

import pytest


def service_unavailable(reason: str):
    """Skip a test whose service (Redis worker, Chromium) is missing here; in CI, where
    ALIGNMENT_REQUIRE_SERVICES=1, fail it instead: nothing may be skipped there."""
    if os.environ.get("ALIGNMENT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (ALIGNMENT_REQUIRE_SERVICES=1: this test may not be skipped)")
    pytest.skip(reason)
