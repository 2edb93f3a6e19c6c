"""Lexical scopes of the semantic model: bindings by spelling (``wf``,
``self.wf``, ``workflows['a']``), class scopes for ``self.<attr>``."""

from __future__ import annotations

from bflint.semantic.values import Obj

MISSING = object()  # a lookup that found no binding (None is a binding to an unknown value)


class Scope:
    __slots__ = ("vars", "parent", "function", "class_scope", "self_name", "compound")

    def __init__(self, parent, function=None, class_scope=None, self_name=None):
        self.vars: dict[str, Obj | None] = {}
        self.compound: set[str] = set()  # bound keys such as ``a.b`` / ``a['k']``
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
        if "." in key or "[" in key:
            self.compound.add(key)
        if self.compound:
            # re-binding a name forgets what was known about its attributes/items
            prefix_dot, prefix_item = key + ".", key + "["
            stale = [k for k in self.compound if k.startswith((prefix_dot, prefix_item))]
            for k in stale:
                self.compound.discard(k)
                self.vars.pop(k, None)

