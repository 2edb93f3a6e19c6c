"""Rule discovery: every ``Rule`` subclass defined in a module of
``bflint.rules`` is a rule. Nothing is listed by hand."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from bflint.rule import Rule


@functools.cache
def all_rules() -> tuple[type[Rule], ...]:
    import bflint.rules as package

    found: dict[str, type[Rule]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
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


def rules_by_code() -> dict[str, type[Rule]]:
    return {r.CODE: r for r in all_rules()}


def rule_modules() -> list[str]:
    import bflint.rules as package

    return sorted(i.name for i in pkgutil.iter_modules(package.__path__) if not i.name.startswith("_"))
