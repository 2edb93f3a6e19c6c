#!/usr/bin/env python
"""Generate bflint/data/bayesflow_api.json from the installed BayesFlow.

This is the ONLY place in bflint that imports bayesflow. Everything the linter
knows about the BayesFlow 2.x API (public names, signatures, defaults, string
network names, rejected keywords) is measured here and written as JSON.

Usage (Python >= 3.12 with bayesflow 2.1.x and a keras backend, e.g. jax):

    KERAS_BACKEND=jax python scripts/gen_bayesflow_api.py            # rewrite the shipped file
    python scripts/gen_bayesflow_api.py --output /tmp/api.json
    python scripts/gen_bayesflow_api.py --check                      # exit 1 on drift

Several BayesFlow series (issue 13 §5): each supported series has its own file, generated from
one pinned release (SERIES below). ``--series 2.0`` generates / checks that series' file; when
the running interpreter does not have that exact release, the generator creates a temporary
virtual environment (Python from scripts/find-python, or ``--venv-python``), pip-installs the
release with jax into it, and runs itself there. ``--series all`` does every series.

    python scripts/gen_bayesflow_api.py --series all                 # rewrite every file
    python scripts/gen_bayesflow_api.py --series 2.0 --check         # drift of the 2.0 data

The output is deterministic: sorted keys, no paths, no timestamps.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import inspect
import io
import json
import logging
import os
import sys
import tempfile
import textwrap
import types
import warnings
from pathlib import Path

GENERATOR_VERSION = 1

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "bflint" / "data" / "bayesflow_api.json"

# series -> (the release its data is generated from, the file); the last release of each series.
# Keep in step with bflint/target.py RELEASES and bflint/bayesflow_api.py DATA_FILES.
SERIES = {
    "2.0": ("2.0.14", REPO_ROOT / "bflint" / "data" / "bayesflow_api_2.0.json"),
    "2.1": ("2.1.0", DEFAULT_OUTPUT),
}

# Subpackages whose public names are recorded (plus every public submodule reachable from them).
SUBPACKAGES = [
    "adapters", "approximators", "augmentations", "datasets", "diagnostics", "distributions",
    "estimators", "experimental", "links", "masking", "metrics", "networks", "scoring_rules",
    "simulators", "types", "utils", "workflows", "wrappers",
]
# Modules whose own public submodules are walked one level deeper (e.g. bayesflow.diagnostics.plots).
MAX_DEPTH = 3

# Probe arguments for classes that cannot be built without arguments.
REQUIRED_PROBE_ARGS = {
    "ConsistencyModel": {"total_steps": 100},
    "PointNetwork": {"points": "mean"},
}

NONLITERAL = "__nonliteral__"


# --------------------------------------------------------------------------- environment


def _prepare_environment() -> None:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    for var in ("KERAS_HOME", "MPLCONFIGDIR"):
        if var not in os.environ:
            os.environ[var] = tempfile.mkdtemp(prefix="bflint-gen-")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.simplefilter("ignore")


def _quiet_import_bayesflow():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        import bayesflow  # noqa: F401
    logging.disable(logging.CRITICAL)
    return bayesflow


# --------------------------------------------------------------------------- helpers


def _literal(value):
    """Return a JSON-able version of value, or raise ValueError."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("non-finite float")
        return float(value)
    if isinstance(value, (tuple, list)):
        return [_literal(v) for v in value]
    if isinstance(value, (dict, types.MappingProxyType)):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("non-str key")
        return {k: _literal(v) for k, v in value.items()}
    raise ValueError(type(value).__name__)


def _default_entry(default):
    try:
        return {"default": _literal(default)}
    except ValueError:
        return {"default": {NONLITERAL: type(default).__name__}}


KIND_NAMES = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


def _signature(func, drop_self=True):
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    params = []
    var_kwargs = False
    var_args = False
    for i, p in enumerate(sig.parameters.values()):
        if drop_self and i == 0 and p.name in ("self", "cls"):
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            var_kwargs = True
            continue
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            var_args = True
            continue
        entry = {"name": p.name, "kind": KIND_NAMES[p.kind]}
        if p.default is not inspect.Parameter.empty:
            entry.update(_default_entry(p.default))
        params.append(entry)
    return {"params": params, "var_kwargs": var_kwargs, "var_args": var_args}


def _kind(obj):
    if isinstance(obj, types.ModuleType):
        return "module"
    if isinstance(obj, type):
        return "class"
    if callable(obj):
        return "function"
    return "constant"


def _public(names):
    return sorted(n for n in names if not n.startswith("_"))


def _kwargs_keys_used(func):
    """String keys read from the function's **kwargs: kwargs.get("x"), kwargs.pop("x"), kwargs["x"]."""
    try:
        src = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return []
    keys = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            if (
                isinstance(base, ast.Name)
                and base.id == "kwargs"
                and node.func.attr in ("get", "pop", "setdefault")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keys.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "kwargs":
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                keys.add(node.slice.value)
    return sorted(keys)


def _match_case_strings(func):
    """String literals of `case "a" | "b":` arms in a function's source (the dispatch tables)."""
    src = textwrap.dedent(inspect.getsource(func))
    found = []

    def collect(pattern):
        if isinstance(pattern, ast.MatchValue) and isinstance(pattern.value, ast.Constant):
            if isinstance(pattern.value.value, str):
                found.append(pattern.value.value)
        elif isinstance(pattern, ast.MatchOr):
            for p in pattern.patterns:
                collect(p)

    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.match_case):
            collect(node.pattern)
    return found


# --------------------------------------------------------------------------- measurements


def measure_modules(bf):
    """Public names of bayesflow and its subpackages, with kinds."""
    import importlib

    out = {}

    def record(mod, dotted, depth, attribute):
        if dotted in out:
            return
        names = set(_public(dir(mod)))
        all_ = getattr(mod, "__all__", None)
        if all_ is not None:
            names |= {n for n in all_ if isinstance(n, str) and not n.startswith("_")}
        entries = {}
        children = []
        for name in sorted(names):
            try:
                obj = getattr(mod, name)
            except Exception:  # lazy __getattr__ that needs optional dependencies
                entries[name] = "lazy"
                continue
            kind = _kind(obj)
            entries[name] = kind
            # walk only real sub-packages (not implementation files, not re-imported aliases)
            if (
                kind == "module"
                and getattr(obj, "__name__", "") == f"{mod.__name__}.{name}"
                and hasattr(obj, "__path__")
            ):
                children.append((name, obj))
        out[dotted] = {
            "names": entries,
            "all": sorted(all_) if all_ is not None else None,
            "attribute_of_parent": attribute,
        }
        if depth < MAX_DEPTH:
            for name, obj in children:
                record(obj, f"{dotted}.{name}", depth + 1, True)

    # which subpackages `import bayesflow` makes reachable as attributes (before we import any)
    reachable = {sub: isinstance(getattr(bf, sub, None), types.ModuleType) for sub in SUBPACKAGES}
    record(bf, "bayesflow", 0, True)
    for sub in SUBPACKAGES:
        dotted = f"bayesflow.{sub}"
        if dotted in out:
            continue
        try:
            mod = importlib.import_module(dotted)
        except Exception:
            continue
        record(mod, dotted, 1, reachable[sub])
    # drop private-looking or irrelevant deep modules that have no public names
    return {k: v for k, v in sorted(out.items())}


def _public_paths(modules_json, bf):
    """Map id(obj) -> sorted list of public dotted paths for classes and functions."""
    import importlib

    paths = {}
    for dotted, info in modules_json.items():
        try:
            mod = importlib.import_module(dotted)
        except Exception:
            continue
        for name, kind in info["names"].items():
            if kind not in ("class", "function"):
                continue
            try:
                obj = getattr(mod, name)
            except Exception:
                continue
            paths.setdefault(id(obj), (obj, []))[1].append(f"{dotted}.{name}")
    return paths


def _effective_keywords(cls, layer_keys):
    """Keywords that reach some named parameter when cls(...) is called.

    Follows **kwargs up the MRO through bayesflow classes; stops at the first class whose
    __init__ has no **kwargs. When it reaches keras, adds the keys that bayesflow's
    layer_kwargs()/model_kwargs() let through.
    """
    keywords = set()
    forwards_to_keras = False
    for klass in cls.__mro__:
        if "__init__" not in klass.__dict__:
            continue
        if not klass.__module__.startswith("bayesflow"):
            forwards_to_keras = klass.__module__.startswith("keras")
            break
        sig = _signature(klass.__dict__["__init__"])
        if sig is None:
            break
        keywords |= {p["name"] for p in sig["params"] if p["kind"] != "positional_only"}
        if not sig["var_kwargs"]:
            break
    else:
        forwards_to_keras = False
    if forwards_to_keras:
        keywords |= set(layer_keys)
    return sorted(keywords)


def _probe_unknown_keyword(cls):
    """Instantiate cls with an unknown keyword: 'ignored', 'error' or 'unmeasured'."""
    args = dict(REQUIRED_PROBE_ARGS.get(cls.__name__, {}))
    try:
        cls(**args)
    except Exception:
        return "unmeasured"
    try:
        cls(**args, bflint_probe_keyword=1)
    except Exception:
        return "error"
    return "ignored"


def _layer_keys(bf):
    import keras

    cand = {p: None for p in inspect.signature(keras.layers.Layer.__init__).parameters if p not in ("self", "kwargs")}
    return sorted(bf.utils.layer_kwargs(cand))


def _class_entry(cls, layer_keys, probe=False):
    sig = _signature(cls.__init__) if "__init__" in _mro_dict(cls) else None
    entry = sig or {"params": [], "var_kwargs": False, "var_args": False}
    entry = dict(entry)
    entry["keywords"] = _effective_keywords(cls, layer_keys)
    if probe:
        entry["unknown_keywords"] = _probe_unknown_keyword(cls)
    return entry


def _mro_dict(cls):
    d = {}
    for k in reversed(cls.__mro__):
        d.update(k.__dict__)
    return d


def _subnet_config(layer, subnet_classes):
    """Config of the first sub-layer that is an instance of a subnet class."""
    todo = [layer]
    seen = set()
    while todo:
        cur = todo.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        if cur is not layer and isinstance(cur, subnet_classes):
            return type(cur).__name__, _literal_config(cur.get_config())
        for child in getattr(cur, "_layers", []) or []:
            todo.append(child)
        for value in vars(cur).values():
            if hasattr(value, "get_config") and hasattr(value, "_layers"):
                todo.append(value)
            elif isinstance(value, (list, tuple)):
                todo.extend(v for v in value if hasattr(v, "_layers"))
    return None, None


def _literal_config(cfg):
    out = {}
    for k, v in cfg.items():
        if k in ("name", "trainable", "dtype"):
            continue
        try:
            out[k] = _literal(v)
        except ValueError:
            continue
        if isinstance(v, dict):  # nested serialized objects: not a user-facing default
            del out[k]
    return out


def measure_networks(bf, layer_keys, string_subnets):
    nets = bf.networks
    subnet_classes = tuple(
        getattr(nets, n) for n in ("MLP", "TimeMLP", "DiffusionTransformer", "UNet", "UViT", "ResidualUViT")
        if hasattr(nets, n)
    )
    signatures = {}
    defaults = {}
    for name in _public(dir(nets)):
        cls = getattr(nets, name)
        if not isinstance(cls, type):
            continue
        qual = f"bayesflow.networks.{name}"
        signatures[qual] = _class_entry(cls, layer_keys, probe=True)
        sig = signatures[qual]
        params = {p["name"]: p["default"] for p in sig["params"] if "default" in p}
        entry = {"params": params}
        # role of the network
        if issubclass(cls, nets.InferenceNetwork) and cls is not nets.InferenceNetwork:
            entry["role"] = "inference"
        elif issubclass(cls, nets.SummaryNetwork) and cls is not nets.SummaryNetwork:
            entry["role"] = "summary"
        elif cls in subnet_classes:
            entry["role"] = "subnet"
        elif issubclass(cls, nets.ScoringRuleNetwork):
            entry["role"] = "inference"
        else:
            entry["role"] = "other"
        if "subnet" in params:
            # effective subnet configuration for each string subnet name (measured by building)
            sub_defaults = {}
            names = [params["subnet"]] if isinstance(params["subnet"], str) else []
            names += [s for s in string_subnets if s not in names]
            for sub in names:
                kwargs = dict(REQUIRED_PROBE_ARGS.get(name, {}))
                kwargs["subnet"] = sub
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        obj = cls(**kwargs)
                except Exception:
                    continue
                sub_cls, cfg = _subnet_config(obj, subnet_classes)
                if cfg is not None:
                    sub_defaults[sub] = {"class": sub_cls, "config": cfg}
            entry["default_subnet"] = params["subnet"]
            entry["subnet_defaults"] = sub_defaults
        defaults[qual] = entry
    return signatures, defaults


def measure_string_networks(bf):
    from bayesflow.utils import find_inference_network, find_network, find_summary_network

    result = {}
    for kind, func in (
        ("inference", find_inference_network),
        ("summary", find_summary_network),
        ("subnet", find_network),
    ):
        candidates = _match_case_strings(func.registry[str])
        accepted = []
        for cand in candidates:
            kwargs = {"total_steps": 100} if cand == "consistency_model" else {}
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    func(cand, **kwargs)
            except Exception:
                continue
            accepted.append(cand)
        result[kind] = sorted(accepted)
    # note: lookup is case-insensitive (name.lower()) in 2.1
    return result


def measure_case_insensitive(bf):
    from bayesflow.utils import find_summary_network

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            find_summary_network("SET_TRANSFORMER")
        return True
    except Exception:
        return False


def measure_rejected_workflow_keywords(bf):
    cls = bf.BasicWorkflow
    candidates = set(_kwargs_keys_used(cls.__init__)) | {"bflint_probe_keyword"}
    rejected = {}
    accepted = []
    for kw in sorted(candidates):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                cls(inference_variables=["theta"], **{kw: {}})
        except Exception as exc:  # noqa: BLE001
            msg = str(exc).splitlines()[0] if str(exc) else ""
            # keep the stable part of the message only
            msg = msg.split(":")[0] if "Unrecognized keyword" in msg else msg
            rejected[kw] = f"{type(exc).__name__}: {msg}"[:160]
            continue
        accepted.append(kw)
    unknown = rejected.pop("bflint_probe_keyword", None)
    return {
        "rejected": rejected,
        "documented_accepted": sorted(k for k in accepted if k != "bflint_probe_keyword"),
        "unknown_keyword_error": unknown,
    }


def _method_signatures(cls):
    """(name, function, signature) of each public method of ``cls`` (no properties)."""
    for name in _public(dir(cls)):
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, property):
            continue
        func = attr.__func__ if isinstance(attr, (staticmethod, classmethod)) else attr
        if not callable(func):
            continue
        sig = _signature(func, drop_self=not isinstance(attr, staticmethod))
        if sig is not None:
            yield name, func, sig


def _not_implemented(func) -> bool:
    """The method's body (past its docstring) only raises ``NotImplementedError``
    (``Workflow.compute_diagnostics``: BasicWorkflow does not implement it)."""
    try:
        tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = [st for st in fn.body
            if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def measure_workflow(bf, layer_keys, fit_keywords):
    cls = bf.BasicWorkflow
    signatures = {}
    entry = _class_entry(cls, layer_keys)
    # **kwargs of BasicWorkflow reach the estimator constructor (filter_kwargs) => its keywords
    # (2.1: BasicEstimator; 2.0.x: ContinuousApproximator)
    est_name = "BasicEstimator" if hasattr(bf, "BasicEstimator") else "ContinuousApproximator"
    est = getattr(bf, est_name)
    est_kw = set(_effective_keywords(est, layer_keys))
    explicit = {"inference_network", "summary_network", "adapter", "standardize"}
    entry["keywords"] = sorted(set(entry["keywords"]) | (est_kw - explicit))
    entry["kwargs_to"] = f"bayesflow.{est_name}"
    signatures["bayesflow.BasicWorkflow"] = entry
    for name, func, sig in _method_signatures(cls):
        if _not_implemented(func):
            sig["not_implemented"] = True  # an abstract method of the base Workflow
        extra = set(_kwargs_keys_used(func))
        if name.startswith("fit_"):
            # fit_* -> _fit -> estimator.fit -> keras.Model.fit (filtered by signature)
            extra |= set(_kwargs_keys_used(cls._fit))
            sig["kwargs_to"] = "keras.Model.fit"
            sig["keywords"] = sorted(
                ({p["name"] for p in sig["params"]} | extra | set(fit_keywords)) - {"x", "y"}
            )
        else:
            sig["keywords"] = sorted({p["name"] for p in sig["params"]} | extra)
        signatures[f"bayesflow.BasicWorkflow.{name}"] = sig
    props = sorted(n for n in _public(dir(cls)) if isinstance(inspect.getattr_static(cls, n), property))
    return signatures, props


def measure_estimators_without_workflow(bf):
    """Estimator / approximator classes no workflow builds (2.1: neural ratio estimation's
    ``RatioEstimator``, ``AutoregressiveEstimator`` and their approximator names): they are
    trained with their own keras ``fit``, and no ``compute_default_diagnostics`` exists for
    them. A class counts as built when it is named in the source of a ``bayesflow.workflows``
    class; in 2.1 an approximator (the old name, a subclass of its estimator) when its
    estimator is."""
    import re

    classes = {}
    for mod_name in ("estimators", "approximators"):
        mod = getattr(bf, mod_name, None)
        for n in _public(dir(mod)) if mod is not None else ():
            obj = getattr(mod, n)
            if isinstance(obj, type) and n not in ("Estimator", "Approximator"):
                classes[n] = obj
    sources = []
    for n in _public(dir(bf.workflows)):
        obj = getattr(bf.workflows, n)
        if isinstance(obj, type):
            try:
                sources.append(inspect.getsource(obj))
            except (OSError, TypeError):
                continue
    named = {n for n in classes if any(re.search(rf"\b{n}\b", src) for src in sources)}
    aliases = hasattr(bf, "estimators")  # 2.1: the approximators are the estimators' old names

    def built(cls) -> bool:
        if cls.__name__ in named:
            return True
        if aliases and cls.__module__.startswith("bayesflow.approximators"):
            base = next((c for c in cls.__mro__[1:] if c.__name__ in classes), None)
            return base is not None and base.__name__ in named
        return False

    return sorted(n for n, cls in classes.items() if not built(cls))


def measure_functions(bf, module_names):
    import importlib

    signatures = {}
    for dotted in module_names:
        mod = importlib.import_module(dotted)
        for name in _public(dir(mod)):
            obj = getattr(mod, name)
            if isinstance(obj, types.FunctionType):
                if hasattr(obj, "registry") and hasattr(obj, "dispatch"):
                    signatures[f"{dotted}.{name}"] = _singledispatch_signature(obj, mod)
                    continue
                sig = _signature(obj, drop_self=False)
                if sig is not None:
                    sig["keywords"] = sorted(p["name"] for p in sig["params"] if p["kind"] != "positional_only")
                    signatures[f"{dotted}.{name}"] = sig
    return signatures


# Where the **kwargs of a singledispatch function's implementations go (read from the source of
# bayesflow/simulators/make_simulator.py: SequentialSimulator(simulators, **kwargs) and
# LambdaSimulator(fn, **kwargs)); their keywords are measured from their signatures.
DISPATCH_KWARGS_TARGETS = {"make_simulator": ("SequentialSimulator", "LambdaSimulator")}


def _singledispatch_signature(func, mod):
    """Signature of a functools.singledispatch function: the generic one plus every registration."""
    dispatch = {}
    keywords = set()
    var_kwargs = False
    for typ, impl in func.registry.items():
        if typ is object:
            continue
        sig = _signature(impl, drop_self=False)
        if sig is None:
            continue
        params = sig["params"][1:]  # the dispatched-on argument is positional
        dispatch[getattr(typ, "__name__", str(typ))] = {"params": params, "var_kwargs": sig["var_kwargs"]}
        keywords |= {p["name"] for p in params if p["kind"] != "positional_only"}
        var_kwargs = var_kwargs or sig["var_kwargs"]
    for target in DISPATCH_KWARGS_TARGETS.get(func.__name__, ()):
        cls = getattr(mod, target)
        tsig = _signature(cls.__init__)
        keywords |= {p["name"] for p in tsig["params"][1:] if p["kind"] != "positional_only"}
    generic = _signature(func.registry[object], drop_self=False)
    return {
        "params": generic["params"],
        "var_args": generic["var_args"],
        "var_kwargs": var_kwargs,
        "dispatch": dict(sorted(dispatch.items())),
        "keywords": sorted(keywords),
        "unknown_keywords": "error",
    }


def measure_adapter(bf):
    cls = bf.Adapter
    methods = {}
    for name, _, sig in _method_signatures(cls):
        sig["keywords"] = sorted(p["name"] for p in sig["params"] if p["kind"] != "positional_only")
        methods[name] = sig
    return methods


def measure_top_level_classes(bf, layer_keys):
    sigs = {}
    for name in _public(dir(bf)):
        obj = getattr(bf, name)
        if isinstance(obj, type):
            sigs[f"bayesflow.{name}"] = _class_entry(obj, layer_keys)
    return sigs


def measure_deprecated_aliases(bf):
    """Classes whose construction emits a DeprecationWarning naming a replacement (2.1 approximators)."""
    out = {}
    for mod_name in ("bayesflow", "bayesflow.approximators"):
        import importlib

        mod = importlib.import_module(mod_name)
        for name in _public(dir(mod)):
            obj = getattr(mod, name)
            if not isinstance(obj, type) or not name.endswith("Approximator"):
                continue
            bases = [b for b in obj.__mro__[1:] if b.__module__.startswith("bayesflow.estimators")]
            if bases:
                out[f"{mod_name}.{name}"] = f"bayesflow.{bases[0].__name__}" if hasattr(bf, bases[0].__name__) \
                    else f"bayesflow.estimators.{bases[0].__name__}"
    return out


# --------------------------------------------------------------------------- built-in simulators
# (issue 11 §4; section owned by deep2) Each benchmark simulator of ``bf.simulators`` built with its
# defaults: output keys and per-draw shapes, measured by sampling; the support of the parameters
# its prior draws, by reading the prior (the ``self.rng.<family>(...)`` draws of its source, the
# bounds it passes, read from the default instance) and confirmed by sampling (every draw inside).

SIMULATOR_DRAWS = 256
POSITIVE_FAMILIES = {"lognormal", "gamma", "exponential", "chisquare", "weibull", "pareto", "rayleigh"}


def _prior_support(cls, sim, draws):
    import inspect
    import re

    try:
        src = inspect.getsource(cls.prior)
    except (OSError, TypeError, AttributeError):
        return None
    families = set(re.findall(r"\brng\.(\w+)\(", src))
    if not families:
        return None
    if families <= POSITIVE_FAMILIES:
        entry = {"family": sorted(families)[0], "low": 0, "high": None, "bound_keywords": []}
    elif families == {"uniform"}:
        m = re.search(r"uniform\(\s*low=self\.(\w+),\s*high=self\.(\w+)", src)
        if m is None:
            return None
        low, high = getattr(sim, m.group(1), None), getattr(sim, m.group(2), None)
        if not all(isinstance(v, (int, float)) for v in (low, high)):
            return None
        entry = {"family": "uniform", "low": float(low), "high": float(high),
                 "bound_keywords": [m.group(1), m.group(2)]}
    else:
        return None  # unbounded (normal, multivariate_normal) or mixed: nothing to record
    lo, hi = float(draws.min()), float(draws.max())
    if lo < entry["low"] or (entry["high"] is not None and hi > entry["high"]):
        return None  # sampling disagrees with the reading: record nothing
    return entry


def measure_simulators(bf):
    """``bayesflow.simulators.<Name>`` -> {"outputs": {key: per-draw shape}, "parameters": key
    of the prior draws, "support": {family, low, high, bound_keywords} or None}."""
    import inspect

    import numpy as np

    out = {}
    mod = bf.simulators
    base = getattr(mod, "Simulator", None)
    for name in sorted(dir(mod)):
        cls = getattr(mod, name)
        if not (inspect.isclass(cls) and base is not None and issubclass(cls, base)
                and "benchmark" in cls.__module__ and callable(getattr(cls, "prior", None))):
            continue
        try:
            sim = cls()
            if hasattr(sim, "rng"):
                sim.rng = np.random.default_rng(2025)
            sample = sim.sample((SIMULATOR_DRAWS,))
        except Exception:
            continue
        outputs = {k: list(np.shape(v)[1:]) for k, v in sorted(sample.items())}
        key = "parameters" if "parameters" in sample else None
        support = _prior_support(cls, sim, np.asarray(sample[key])) if key else None
        out[f"bayesflow.simulators.{name}"] = {"outputs": outputs, "parameters": key, "support": support}
    return out


def generate():
    _prepare_environment()
    bf = _quiet_import_bayesflow()
    import keras

    layer_keys = _layer_keys(bf)
    fit_sig = _signature(keras.Model.fit)
    fit_keywords = sorted(p["name"] for p in fit_sig["params"])

    modules = measure_modules(bf)
    strings = measure_string_networks(bf)
    net_sigs, net_defaults = measure_networks(bf, layer_keys, strings["subnet"])
    wf_sigs, wf_props = measure_workflow(bf, layer_keys, fit_keywords)
    wf_rejections = measure_rejected_workflow_keywords(bf)
    wf_sigs["bayesflow.BasicWorkflow"]["unknown_keywords"] = (
        "error" if wf_rejections["unknown_keyword_error"] else "ignored"
    )

    signatures = {}
    signatures.update(measure_top_level_classes(bf, layer_keys))
    signatures.update(net_sigs)
    signatures.update(wf_sigs)
    fn_modules = ["bayesflow.simulators", "bayesflow.diagnostics"]
    fn_modules += [m for m in ("bayesflow.diagnostics.metrics", "bayesflow.diagnostics.plots") if m in modules]
    signatures.update(measure_functions(bf, fn_modules))
    for name, sig in measure_adapter(bf).items():
        signatures[f"bayesflow.Adapter.{name}"] = sig
    for _q, sig in signatures.items():
        sig.setdefault("keywords", sorted(p["name"] for p in sig["params"] if p["kind"] != "positional_only"))

    # aliases: every public path of a recorded class/function -> the recorded qualname
    aliases = {}
    paths = _public_paths(modules, bf)
    import importlib

    for qual in signatures:
        mod_name, _, attr = qual.rpartition(".")
        try:
            obj = getattr(importlib.import_module(mod_name), attr)
        except Exception:
            continue
        for p in paths.get(id(obj), (None, []))[1]:
            if p != qual and p not in signatures:
                aliases[p] = qual

    data = {
        "meta": {
            "bayesflow_version": bf.__version__,
            "keras_version": keras.__version__,
            "generator_version": GENERATOR_VERSION,
        },
        "modules": modules,
        "signatures": signatures,
        "aliases": dict(sorted(aliases.items())),
        "network_defaults": net_defaults,
        "string_networks": strings,
        "string_networks_case_insensitive": measure_case_insensitive(bf),
        "keras_fit_keywords": fit_keywords,
        "layer_keywords": layer_keys,
        "workflow": {
            "properties": wf_props,
            **wf_rejections,
        },
        "adapter_methods": sorted(n for n in signatures if n.startswith("bayesflow.Adapter.")),
        "deprecated_aliases": measure_deprecated_aliases(bf),
        "simulators": measure_simulators(bf),
        "estimators_without_workflow": measure_estimators_without_workflow(bf),
    }
    data["adapter_methods"] = [n.rpartition(".")[2] for n in data["adapter_methods"]]
    return data


def _dump(value, indent: int) -> str:
    """Indented JSON where any container that fits on one line (<= 100 chars) is inlined."""
    flat = json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(", ", ": "))
    scalars = isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value)
    if not isinstance(value, (dict, list)) or len(flat) + indent <= 100 or not value or scalars:
        return flat
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {_dump(value[k], indent + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{_dump(v, indent + 1)}" for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def dumps(data) -> str:
    return _dump(data, 0) + "\n"


# --------------------------------------------------------------------------- several series


def _installed_bayesflow_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("bayesflow")
    except metadata.PackageNotFoundError:
        return None


def _venv_python(explicit: str | None) -> str:
    if explicit:
        return explicit
    import subprocess

    proc = subprocess.run([str(REPO_ROOT / "scripts" / "find-python")], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(1)
    return proc.stdout.strip()


def run_in_release(release: str, args: list[str], python: str | None = None,
                   keep: Path | None = None) -> int:
    """Run this script with ``args`` in a temporary venv that has bayesflow==release (and jax).
    ``keep``: a directory for the venv that is reused when it already has the release."""
    import shutil
    import subprocess

    root = keep or Path(tempfile.mkdtemp(prefix=f"bflint-bf{release}-"))
    venv_py = root / "bin" / "python"
    try:
        have = None
        if venv_py.exists():
            probe = subprocess.run([str(venv_py), "-c", "from importlib import metadata; "
                                    "print(metadata.version('bayesflow'))"], capture_output=True, text=True)
            have = probe.stdout.strip() if probe.returncode == 0 else None
        if have != release:
            print(f"creating a virtual environment with bayesflow=={release} in {root}", file=sys.stderr)
            subprocess.run([_venv_python(python), "-m", "venv", "--clear", str(root)], check=True)
            subprocess.run([str(venv_py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                            f"bayesflow=={release}", "jax"], check=True)
        env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "jax"))
        return subprocess.run([str(venv_py), str(Path(__file__).resolve()), *args], env=env).returncode
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"cannot set up bayesflow=={release}: {exc}", file=sys.stderr)
        return 3
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, default=None)
    ap.add_argument("--check", action="store_true", help="exit 1 if the file differs from what would be generated")
    ap.add_argument("--series", choices=[*SERIES, "all"], default=None,
                    help="the BayesFlow series whose data to generate (default: the installed one's)")
    ap.add_argument("--venv-python", default=None, help="the Python for the temporary environments")
    ap.add_argument("--venv-dir", type=Path, default=None,
                    help="keep the environments under this directory (reused when they match)")
    args = ap.parse_args(argv)

    if args.series is not None:
        wanted = list(SERIES) if args.series == "all" else [args.series]
        status = 0
        for series in wanted:
            release, output = SERIES[series]
            out = args.output if args.output is not None and len(wanted) == 1 else output
            sub = ["--output", str(out)] + (["--check"] if args.check else [])
            if _installed_bayesflow_version() == release:
                code = main(sub)
            else:
                keep = args.venv_dir / f"bayesflow-{release}" if args.venv_dir else None
                code = run_in_release(release, sub, args.venv_python, keep)
            status = max(status, code)
        return status
    if args.output is None:
        version = _installed_bayesflow_version() or ""
        args.output = next((out for rel, out in SERIES.values() if rel == version), DEFAULT_OUTPUT)

    text = dumps(generate())
    if args.check:
        try:
            old = args.output.read_text(encoding="utf-8")
        except FileNotFoundError:
            print(f"{args.output.name}: missing", file=sys.stderr)
            return 1
        if old == text:
            print(f"{args.output.name}: up to date")
            return 0
        diff = list(difflib.unified_diff(old.splitlines(), text.splitlines(), "shipped", "generated", lineterm="", n=1))
        print(f"{args.output.name}: out of date ({len(diff)} diff lines); first lines:", file=sys.stderr)
        for line in diff[:40]:
            print(line, file=sys.stderr)
        print("regenerate with: python scripts/gen_bayesflow_api.py", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
