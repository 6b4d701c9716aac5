"""No module over 500 lines outside migrations, tests and bench: past that, split it by entity."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500
EXEMPT = {"migrations", "tests", "bench"}


def _tracked_modules():
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        path = Path(name)
        if not EXEMPT & set(path.parts) and (ROOT / path).exists():
            yield path


def test_no_module_passes_500_lines():
    modules = list(_tracked_modules())
    too_long = {
        str(path): lines for path in modules if (lines := len((ROOT / path).read_text().splitlines())) > MAX_LINES
    }

    assert len(modules) > 100  # the app's own modules were found
    assert too_long == {}, f"Split these by entity: {too_long}"
