"""Shared helpers for :mod:`bflint.runtime` (no third-party imports here)."""

from __future__ import annotations

import importlib
import math
from typing import Any

RUNTIME_EXTRA_HINT = 'pip install "bflint[runtime]"'


class MissingRuntimeDependency(ImportError):
    """Raised when an optional runtime dependency (bayesflow, pandas, matplotlib) is missing."""


def require(module: str, purpose: str) -> Any:
    """Import ``module`` lazily, or fail with a message naming the ``runtime`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise MissingRuntimeDependency(
            f"{purpose} needs the optional dependency {top!r}, which is not installed. "
            f"Install the runtime extra: {RUNTIME_EXTRA_HINT}"
        ) from exc


def json_safe(value: Any) -> Any:
    """Convert floats that JSON cannot represent (NaN, inf) to ``None``, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
