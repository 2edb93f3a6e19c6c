import os
import sys
from pathlib import Path

import pytest

# Fixture files are data: never collect (and so never import) them.
collect_ignore = ["fixtures"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def require_runtime() -> bool:
    """CI sets BFLINT_REQUIRE_RUNTIME=1: runtime tests must then run, not skip."""
    return os.environ.get("BFLINT_REQUIRE_RUNTIME") == "1"


@pytest.fixture
def run_cli():
    """Run the real CLI in-process with click's runner."""
    from click.testing import CliRunner

    from bflint.cli import main

    def _run(*args, input=None):
        runner = CliRunner()
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return _run


@pytest.fixture
def bflint_exe():
    """The installed console script (for subprocess tests)."""
    exe = Path(sys.executable).with_name("bflint")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bflint"]
