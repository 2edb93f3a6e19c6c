from __future__ import annotations

import libcst as cst

from bflint.rule import Edit, Fix, Rule
from bflint.semantic.cst_util import string_value

BACKEND = "KERAS_BACKEND"
ROOTS = ("keras", "bayesflow")
SETTER_CALLS = {
    "os.environ.setdefault": "os.environ.setdefault",
    "os.putenv": "os.putenv",
    "os.environ.update": "os.environ.update",
    "os.environ.__setitem__": "os.environ.__setitem__",
}


def _is_backend_key(expr: cst.BaseExpression | None) -> bool:
    return string_value(expr) == BACKEND


class KerasBackendAfterImport(Rule):
    """## What it does
    Flags `os.environ["KERAS_BACKEND"] = ...` (or `os.environ.setdefault(...)`,
    `os.putenv(...)`, `os.environ.update(KERAS_BACKEND=...)`) that runs after
    `import keras` or `import bayesflow` (in any form, `from bayesflow import ...`
    included) earlier in the script.

    ## Why is this bad?
    Keras reads `KERAS_BACKEND` once, when it is first imported (and `import bayesflow`
    imports keras). Setting it afterwards is silently ignored: the script runs on whatever
    backend was picked at import time (BayesFlow's jax > torch > tensorflow preference, or
    keras' own default, tensorflow, which crashes when it is not installed).
    Imports inside a function count only for settings later in the same function.

    ## Example
    ```python
    import bayesflow as bf
    import os

    os.environ["KERAS_BACKEND"] = "jax"
    ```

    ## Use instead
    ```python
    import os

    os.environ["KERAS_BACKEND"] = "jax"

    import bayesflow as bf
    ```
    """

    CODE = "BF901"
    NAME = "keras-backend-after-import"
    SEVERITY = "E"
    MESSAGE = ("`{setting}` comes after `{imported}`: keras picks its backend when it is "
               "first imported, so this setting is silently ignored")
    FIX_TITLE = ("Set `KERAS_BACKEND` at the very top of the script, before any `import keras` "
                 "/ `import bayesflow`")

    def check(self, model):
        imports = [r for r in model.imports if r.qualname.split(".")[0] in ROOTS]
        if not imports:
            return
        settings = list(self.settings(model))
        if not settings:
            return
        first_import = min((r.index for r in imports if r.function is None), default=None)
        early_values = {
            value for node, index, function, value, _ in settings
            if function is None and first_import is not None and index < first_import
        }
        # the first import of each scope, once (linear in the file, issue 18): the
        # imports come in source order, so a setting's first earlier import is one of them
        ordered = all(a.index <= b.index for a, b in zip(imports, imports[1:]))
        first_of: dict[int, object] = {}
        for r in imports:
            first_of.setdefault(id(r.function), r)
        lines = None
        for node, index, function, value, text in settings:
            if ordered:
                before = [r for r in (first_of.get(id(None)), first_of.get(id(function)))
                          if r is not None and r.index < index and (
                              r.function is None or r.function is function)]
                before.sort(key=lambda r: r.index)
            else:
                before = [r for r in imports if r.index < index and (
                    r.function is None or r.function is function)]
            if not before:
                continue
            if value is not None and value in early_values:
                continue  # repeats the value set before the imports: harmless
            imported = model.module.code_for_node(before[0].node).strip().splitlines()[0]
            fix = None
            if function is None and value is not None and first_import is not None:
                if lines is None:
                    lines = _Lines(model, imports)
                fix = _move_up(model, node, value, lines, first_import)
            yield self.report(node, setting=text, imported=imported, fix=fix)

    @staticmethod
    def settings(model):
        """(report node, source index, function, literal value or None, rendering)."""
        for rec in model.assignments:
            for target in rec.targets:
                if (
                    isinstance(target, cst.Subscript)
                    and model.qualname(target.value) == "os.environ"
                    and len(target.slice) == 1
                    and isinstance(target.slice[0].slice, cst.Index)
                    and _is_backend_key(target.slice[0].slice.value)
                ):
                    text = model.module.code_for_node(target).strip() + " = ..."
                    yield target, rec.index, rec.function, string_value(rec.value), text
        for call in model.calls:
            qualname = call.qualname or model.qualname(call.node)
            if qualname not in SETTER_CALLS:
                continue
            value = None
            if qualname == "os.environ.update":
                hit = False
                kw = call.kwarg(BACKEND)
                if kw is not None:
                    hit, value = True, string_value(kw.value)
                pos = call.positional()
                if pos and isinstance(pos[0].value, cst.Dict):
                    for el in pos[0].value.elements:
                        if isinstance(el, cst.DictElement) and _is_backend_key(el.key):
                            hit, value = True, string_value(el.value)
                if not hit:
                    continue
                text = model.module.code_for_node(call.node.func).strip() + "(KERAS_BACKEND=...)"
            else:
                pos = call.positional()
                if not pos or not _is_backend_key(pos[0].value):
                    continue
                value = string_value(pos[1].value) if len(pos) > 1 else None
                func = model.module.code_for_node(call.node.func).strip()
                text = f'{func}("KERAS_BACKEND", ...)'
            yield call.node, call.index, call.function, value, text


class _Lines:
    """The module-level lines :func:`_move_up` needs, found once per file."""

    def __init__(self, model, imports) -> None:
        self.assign_line = {}  # id(target) -> its one-target assignment line
        for line in model.module.body:
            if (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
                    and isinstance(line.body[0], cst.Assign) and len(line.body[0].targets) == 1):
                self.assign_line.setdefault(id(line.body[0].targets[0].target), line)
        first = min((r for r in imports if r.function is None), key=lambda r: r.index, default=None)
        self.first_line = None
        if first is not None:
            self.first_line = next((line for line in model.module.body
                                    if isinstance(line, cst.SimpleStatementLine)
                                    and any(small is first.node for small in line.body)), None)
        self.os_first = min((r.index for r in model.imports if r.function is None
                             and r.local == "os" and r.qualname == "os"), default=None)
        self._later = False

    def later_import_os(self, model):
        if self._later is False:
            self._later = next((line for line in model.module.body
                                if isinstance(line, cst.SimpleStatementLine)
                                and len(line.body) == 1 and isinstance(line.body[0], cst.Import)
                                and model.module.code_for_node(line.body[0]).strip() == "import os"),
                               None)
        return self._later


def _move_up(model, target, value: str, lines: _Lines, first_import: int) -> Fix | None:
    """Unsafe fix: move a module-level ``os.environ["KERAS_BACKEND"] = "..."``
    line above the first keras/bayesflow import (adding ``import os`` there
    when ``os`` is imported only later)."""
    stmt = lines.assign_line.get(id(target))
    first_line = lines.first_line
    if stmt is None or first_line is None:
        return None
    os_first = lines.os_first
    # the line's own comment is dropped: it described the line where it was (often "too late")
    text = model.module.code_for_node(stmt.with_changes(
        leading_lines=(), trailing_whitespace=cst.TrailingWhitespace())).strip()
    if "\n" in text:
        return None
    edits = [Edit(("lines", stmt), "")]
    head = ""
    if os_first is None or os_first > first_import:
        head = "import os\n"
        # a later `import os` line moves up with it: never a second `import os`
        later = lines.later_import_os(model)
        if later is not None:
            edits.append(Edit(("lines", later), ""))
    return Fix.unsafe(
        "Move the `KERAS_BACKEND` setting above the first keras/bayesflow import",
        Edit(("line_start", first_line), head + text + "\n"), *edits,
    )
