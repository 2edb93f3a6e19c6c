"""Small helpers the generated workflow scripts use: real data files, run metadata, JSON files.

``load_observed(path, key, simulated)`` reads the user's data set (``.npy``, ``.npz`` or ``.csv``)
and shapes it like one simulated data set (a batch of one); ``run_info(...)`` collects the
versions, seed, budget, timings and peak memory that go into ``training_report.json`` and
``diagnostics.json``; ``write_json(path, obj)`` writes strict JSON atomically.

Only the standard library at import time; numpy is imported by :func:`load_observed`.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bflint.atomic import write_atomic

from ._common import json_safe, require

__all__ = ["ObservedDataError", "load_observed", "peak_memory_mb", "run_info", "write_json"]


class ObservedDataError(ValueError):
    """The observed-data file cannot be read or does not fit the simulator's output."""


def _load_csv(path: str, np: Any) -> Any:
    try:
        arr = np.loadtxt(path, delimiter=",", dtype=float, ndmin=1)
    except ValueError:
        arr = np.loadtxt(path, delimiter=",", dtype=float, ndmin=1, skiprows=1)  # a header line
    return arr


def load_observed(
    path: str | os.PathLike[str], key: str, simulated: Any, *, variable_size: bool = False
) -> dict[str, Any]:
    """Read the observed data set for ``key`` and return ``{key: array}`` with a batch axis of one.

    ``simulated``: the simulated array of ``key`` (simulations on the first axis), used for the
    expected shape. ``.npz`` files must hold ``key`` (or a single array). With
    ``variable_size`` (sets, time series) the first data axis may differ from the simulated one.
    Raises :class:`ObservedDataError` with a one-line message.
    """
    np = require("numpy", "load_observed")
    name = os.fspath(path)
    ext = os.path.splitext(name)[1].lower()
    try:
        if ext == ".npy":
            arr = np.load(name, allow_pickle=False)
        elif ext == ".npz":
            with np.load(name, allow_pickle=False) as z:
                names = list(z.files)
                if key in names:
                    arr = z[key]
                elif len(names) == 1:
                    arr = z[names[0]]
                else:
                    raise ObservedDataError(f"{name}: no array named {key!r} (arrays: {', '.join(names)})")
        elif ext in (".csv", ".txt"):
            arr = _load_csv(name, np)
        else:
            raise ObservedDataError(f"{name}: unsupported file type {ext or '(none)'!r}; use .npy, .npz or .csv")
    except ObservedDataError:
        raise
    except (OSError, ValueError) as exc:
        raise ObservedDataError(f"cannot read observed data from {name}: {exc}") from None
    try:
        arr = np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        raise ObservedDataError(f"{name}: the observed data are not numeric") from None
    if not np.all(np.isfinite(arr)):
        raise ObservedDataError(f"{name}: the observed data contain NaN or infinite values")
    sim_shape = tuple(np.shape(simulated)[1:])  # one data set
    if arr.shape == sim_shape:
        return {key: arr[None, ...]}
    if arr.shape[:1] == (1,) and arr.shape[1:] == sim_shape:
        return {key: arr}
    if variable_size and sim_shape and arr.ndim == len(sim_shape) and arr.shape[1:] == sim_shape[1:]:
        return {key: arr[None, ...]}
    if arr.size == int(np.prod(sim_shape)) and not variable_size:
        return {key: arr.reshape((1,) + sim_shape)}
    raise ObservedDataError(
        f"{name}: observed data of shape {arr.shape} do not fit one simulated data set of shape {sim_shape}"
    )


def peak_memory_mb() -> float | None:
    """Peak resident memory of this process so far, in MB (``None`` where not available)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def _version(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return None


def run_info(*, seed: Any = None, budget: Mapping[str, Any] | None = None,
             timings: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """Versions, seed, budget, timings and peak memory of a run (JSON-serialisable)."""
    from .. import __version__ as bflint_version

    info: dict[str, Any] = {
        "versions": {
            "bflint": bflint_version,
            "bayesflow": _version("bayesflow"),
            "keras": _version("keras"),
            "jax": _version("jax"),
            "numpy": _version("numpy"),
            "python": platform.python_version(),
        },
        "keras_backend": os.environ.get("KERAS_BACKEND"),
        "seed": seed,
        "budget": dict(budget or {}),
        "timings_s": dict(timings or {}),
        "peak_memory_mb": peak_memory_mb(),
    }
    info.update(extra)
    return json_safe(info)


def write_json(path: str | os.PathLike[str], obj: Any) -> str:
    """Write ``obj`` as strict JSON (NaN/inf become ``null``) atomically; return the path."""
    name = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(name))
    os.makedirs(directory, exist_ok=True)
    text = json.dumps(json_safe(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_atomic(Path(name), text.encode("utf-8"), fsync=False)
    return name
