"""Rule discovery: every ``Rule`` subclass defined in a module of
``bflint.rules`` is a rule. Nothing is listed by hand."""

from __future__ import annotations

import functools
import importlib
import os
from typing import TYPE_CHECKING

import bflint.rules as package

if TYPE_CHECKING:  # pragma: no cover - importing rules loads LibCST: see rule_codes()
    from bflint.rule import Rule


@functools.cache
def all_rules() -> tuple[type[Rule], ...]:
    from bflint.rule import Rule  # start-up: the rule modules load LibCST (see rule_codes())

    found: dict[str, type[Rule]] = {}
    for name in rule_modules():
        module = importlib.import_module(f"{package.__name__}.{name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Rule)
                and obj is not Rule
                and obj.__module__ == module.__name__
                and obj.CODE
            ):
                if obj.CODE in found:
                    raise RuntimeError(f"duplicate rule code {obj.CODE}")
                found[obj.CODE] = obj
    if not found:
        raise RuntimeError("no rules found in bflint.rules: the package mapping is broken")
    return tuple(found[c] for c in sorted(found))


def rule_codes() -> tuple[str, ...]:
    """Every rule's code, from the module names (``bf302_<name>.py`` is
    BF302: tests/test_rules_meta.py holds every rule to that), without
    importing the rules and LibCST: selecting codes for a run whose files
    all fail the pre-filter (or all hit the cache) then never loads them.
    Once the rules are loaded (or ``all_rules`` is replaced, as tests and
    plugins do), the classes are asked."""
    if all_rules is not _all_rules_as_defined or all_rules.cache_info().currsize:
        return tuple(r.CODE for r in all_rules())
    return _codes_from_module_names()


@functools.cache
def _codes_from_module_names() -> tuple[str, ...]:
    codes = []
    for name in rule_modules():
        head = name.split("_", 1)[0]
        if not (head[:2] == "bf" and head[2:].isdigit()):
            return tuple(r.CODE for r in all_rules())  # an odd module: ask the classes
        codes.append(head.upper())
    return tuple(sorted(codes))


_all_rules_as_defined = all_rules


def rules_by_code() -> dict[str, type[Rule]]:
    return {r.CODE: r for r in all_rules()}


def rule_modules() -> list[str]:
    """The rule modules' names (``pkgutil.iter_modules``' for a folder of ``.py`` files,
    read with ``os.scandir``: a cached run takes the codes from them, issue 18 §2)."""
    names = set()
    for folder in package.__path__:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            stem, ext = os.path.splitext(e.name)
            if ext == ".py" and stem.isidentifier() and stem != "__init__" and not stem.startswith("_") \
                    and e.is_file():
                names.add(stem)
            elif ext == "" and e.name.isidentifier() and not e.name.startswith("_") and e.is_dir() \
                    and os.path.isfile(os.path.join(e.path, "__init__.py")):
                names.add(e.name)
    return sorted(names)
