"""Lexical scopes of the semantic model: bindings by spelling (``wf``,
``self.wf``, ``workflows['a']``), class scopes for ``self.<attr>``."""

from __future__ import annotations

from bflint.semantic.values import Obj

MISSING = object()  # a lookup that found no binding (None is a binding to an unknown value)


class Vars(dict):
    """A scope's bindings, with a log of every write, ``(key, value before)``:
    what an ``if`` changed is read from the log since it began (linear in the
    writes), not by copying and comparing the whole scope at every ``if``."""

    __slots__ = ("log",)

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, object]] = []

    def __setitem__(self, key, value) -> None:
        self.log.append((key, self.get(key, MISSING)))
        dict.__setitem__(self, key, value)

    def pop(self, key, *default):
        if key in self:
            self.log.append((key, self[key]))
        return dict.pop(self, key, *default)

    def __delitem__(self, key) -> None:
        self.log.append((key, self[key]))
        dict.__delitem__(self, key)


class Scope:
    __slots__ = ("vars", "parent", "function", "class_scope", "self_name", "compound", "below")

    def __init__(self, parent, function=None, class_scope=None, self_name=None):
        self.vars: Vars = Vars()
        self.compound: set[str] = set()  # bound keys such as ``a.b`` / ``a['k']``
        self.below: dict[str, set[str]] = {}  # key -> the compound keys it is a prefix of
        self.parent = parent
        self.function = function
        self.class_scope = class_scope
        self.self_name = self_name

    def lookup(self, key: str):
        if self.self_name and key.startswith(self.self_name + ".") and self.class_scope:
            found = self.class_scope.vars.get("self" + key[len(self.self_name):], MISSING)
            if found is not MISSING:
                return found
        scope = self
        while scope is not None:
            found = scope.vars.get(key, MISSING)
            if found is not MISSING:
                return found
            scope = scope.parent
        return MISSING

    def bind(self, key: str, value: Obj | None) -> None:
        if self.self_name and key.startswith(self.self_name + ".") and self.class_scope:
            self.class_scope.vars["self" + key[len(self.self_name):]] = value
            return
        self.vars[key] = value
        if ("." in key or "[" in key) and key not in self.compound:
            self.compound.add(key)
            for prefix in _prefixes(key):
                self.below.setdefault(prefix, set()).add(key)
        stale = self.below.pop(key, None)
        if stale:
            # re-binding a name forgets what was known about its attributes/items
            # (``key.*`` / ``key[*]``, looked up by prefix: linear in the bindings)
            for k in stale:
                if k not in self.compound:
                    continue
                self.compound.discard(k)
                self.vars.pop(k, None)
                for prefix in _prefixes(k):
                    if prefix != key:
                        group = self.below.get(prefix)
                        if group is not None:
                            group.discard(k)


def _prefixes(key: str) -> list[str]:
    """Every ``p`` with ``key.startswith(p + ".")`` or ``key.startswith(p + "[")``."""
    return [key[:i] for i, ch in enumerate(key) if ch in ".[" and i > 0]
