"""Shared helpers for the runtime tests.

Tests that need the optional runtime stack (bayesflow, pandas, matplotlib) use the
``requires_runtime`` fixture (or call :func:`need`).  When a package is missing they are
skipped -- unless ``BFLINT_REQUIRE_RUNTIME=1`` is set (CI), in which case they fail.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

RUNTIME_PACKAGES = ("bayesflow", "pandas", "matplotlib", "jax")


def need(*packages: str) -> None:
    """Skip (or fail under BFLINT_REQUIRE_RUNTIME=1) unless all ``packages`` are importable."""
    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    if not missing:
        return
    message = f"runtime dependencies missing: {', '.join(missing)} (pip install \"bflint[runtime]\")"
    if os.environ.get("BFLINT_REQUIRE_RUNTIME") == "1":
        pytest.fail(message + "; BFLINT_REQUIRE_RUNTIME=1 forbids skipping", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def requires_runtime() -> None:
    need(*RUNTIME_PACKAGES)


@pytest.fixture(scope="module")
def requires_runtime_module() -> None:
    need(*RUNTIME_PACKAGES)


@pytest.fixture
def requires_pandas() -> None:
    need("pandas")


@pytest.fixture
def requires_matplotlib() -> None:
    need("matplotlib")


@pytest.fixture
def runtime_env(tmp_path, monkeypatch):
    """Environment for subprocesses running bayesflow: JAX on CPU, caches in tmp."""
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "jax"
    env["JAX_PLATFORMS"] = "cpu"
    env["KERAS_HOME"] = str(tmp_path / "keras_home")
    env["MPLCONFIGDIR"] = str(tmp_path / "mplconfig")
    env["MPLBACKEND"] = "Agg"
    env["PYTHONUNBUFFERED"] = "1"
    monkeypatch.setenv("MPLCONFIGDIR", env["MPLCONFIGDIR"])
    monkeypatch.setenv("KERAS_HOME", env["KERAS_HOME"])
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return env


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "runtime_smoke: runs a generated workflow script with --smoke on real BayesFlow (30-60 s each)",
    )


@pytest.fixture
def need_helper():
    """The skip-or-fail helper itself (tested in test_packaging.py)."""
    return need
