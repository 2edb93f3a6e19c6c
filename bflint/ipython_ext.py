"""``%load_ext bflint``: check each notebook cell before it runs.

Before a cell runs (IPython's ``pre_run_cell`` event), the code of the cells
executed so far plus this one is checked as one notebook, in execution
order, so that names bound in earlier cells resolve, exactly as
``bflint check x.ipynb`` reads a notebook (magics neutralised, configuration
``[tool.bflint]`` found from the kernel's working folder). This cell's
findings are shown above its output: plain text in a terminal, HTML (and
Markdown) in Jupyter.

    %bflint            status
    %bflint strict     refuse to run a cell with severity-E findings
    %bflint warn       show the findings and run the cell (the default)
    %bflint off / on   stop / resume checking

Strict mode stops the cell through IPython's own mechanism for it: an AST
transformer raising ``InputRejected`` (a ``pre_run_cell`` callback cannot
stop a cell: IPython reports its exceptions and runs the cell anyway). The
cell is then not executed at all. Only source text is read: the kernel's
variables are never inspected or changed."""

from __future__ import annotations

import ast
import dataclasses
import html
import json
import os
from typing import Any

from bflint import notebook
from bflint.finding import SEVERITIES, Finding
from bflint.server.core import SettingsFinder
from bflint.server.incremental import Document

try:  # the rejection IPython honours; a stand-in when IPython is absent (imports only)
    from IPython.core.error import InputRejected
except ImportError:  # pragma: no cover
    class InputRejected(Exception):  # type: ignore[no-redef]
        pass

MODES = ("warn", "strict", "off")


class BflintRejected(InputRejected):
    """Raised before execution in strict mode: the cell did not run."""

    def __init__(self, report: "CellReport"):
        self.report = report
        super().__init__(report.rejection())

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines, no traceback
        return [self.report.rejection()]


@dataclasses.dataclass
class CellReport:
    """The findings of one cell (rows within the cell); displayed by IPython."""

    findings: list[Finding]
    execution_count: int | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "E"]

    def _title(self) -> str:
        n = len(self.findings)
        return f"bflint: {n} problem{'s' if n != 1 else ''} in this cell"

    def text(self) -> str:
        lines = [self._title()]
        for f in self.findings:
            lines.append(f"  {f.row}:{f.column}: {f.code} [{f.severity}] {f.message}")
            lines.append(f"      {f.url}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.text())

    def _repr_markdown_(self) -> str:
        out = [f"**{self._title()}**", ""]
        for f in self.findings:
            msg = f.message.replace("\n", " ")
            out.append(f"- line {f.row}: [{f.code}]({f.url}) ({SEVERITIES.get(f.severity, f.severity)}) "
                       f"{msg}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        colours = {"E": "#b00020", "W": "#a86400", "I": "#1f5fa8"}
        rows = []
        for f in self.findings:
            c = colours.get(f.severity, "#b00020")
            rows.append(
                f'<li><span style="color:{c};font-weight:bold">{html.escape(f.code)}</span> '
                f'<span style="color:#666">line {f.row}, col {f.column}</span> '
                f'{html.escape(f.message)} '
                f'<a href="{html.escape(f.url)}" target="_blank" rel="noopener">docs</a></li>')
        return (f'<div class="bflint-report" style="border-left:3px solid #b00020;padding-left:8px">'
                f'<b>{html.escape(self._title())}</b><ul style="margin:4px 0">{"".join(rows)}</ul></div>')

    def rejection(self) -> str:
        errs = self.errors
        head = (f"bflint strict: this cell was not run: {len(errs)} error"
                f"{'s' if len(errs) != 1 else ''} (severity E)")
        body = [f"  {f.row}:{f.column}: {f.code} {f.message}" for f in errs]
        tail = "Fix them, suppress one with `# noqa: BFxxx`, or `%bflint warn` to run it anyway."
        return "\n".join([head, *body, tail])


class _Reject(ast.NodeTransformer):
    """Stops the cell that ``pre_run_cell`` found errors in (strict mode)."""

    def __init__(self, checker: "CellChecker"):
        self.checker = checker

    def visit(self, node):
        report, self.checker.reject = self.checker.reject, None
        if report is not None:
            raise BflintRejected(report)
        return node


class CellChecker:
    """The extension's state in one IPython shell."""

    def __init__(self, shell, mode: str = "warn"):
        self.shell = shell
        self.mode = mode
        self.history: list[str] = []     # raw code of the cells that ran, in order
        self.reject: CellReport | None = None
        self._pending: str | None = None  # the raw code of the cell about to run
        self._transformer = _Reject(self)

        self._settings = SettingsFinder()
        self._document = Document()  # the history grows at its end: parsed incrementally
        hist = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None) or []
        self.history = [c for c in list(hist)[1:] if isinstance(c, str)]

    # -- IPython wiring -------------------------------------------------------------
    def register(self) -> None:
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)
        if self._transformer not in self.shell.ast_transformers:
            self.shell.ast_transformers.append(self._transformer)
        self.shell.register_magic_function(self.magic, magic_kind="line", magic_name="bflint")

    def unregister(self) -> None:
        for name, cb in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            try:
                self.shell.events.unregister(name, cb)
            except ValueError:
                pass
        if self._transformer in self.shell.ast_transformers:
            self.shell.ast_transformers.remove(self._transformer)
        self.shell.magics_manager.magics["line"].pop("bflint", None)

    # -- events ---------------------------------------------------------------------
    def pre_run_cell(self, info: Any) -> None:
        self.reject = None
        raw = getattr(info, "raw_cell", None)
        self._pending = raw if isinstance(raw, str) else None
        if self.mode == "off" or self._pending is None:
            return
        try:
            report = self.check(self._pending)
        except Exception as exc:  # the checker never stops the user's work
            print(f"bflint: could not check this cell ({type(exc).__name__}: {exc})")
            return
        if not report.findings:
            return
        from IPython.display import display

        display(report)
        if self.mode == "strict" and report.errors:
            self.reject = report

    def post_run_cell(self, result: Any) -> None:
        self.reject = None  # a cell that never reached the AST step (syntax error)
        raw = self._pending  # None: the cell that loaded the extension (already in history)
        self._pending = None
        before = getattr(result, "error_before_exec", None)
        if isinstance(raw, str) and before is None:
            self.history.append(raw)  # it ran (perhaps up to an exception)

    # -- checking -------------------------------------------------------------------
    def filename(self) -> str:
        name = os.environ.get("JPY_SESSION_NAME", "")
        if name.endswith(".ipynb"):
            return name
        return os.path.join(os.getcwd(), "<ipython-session>.ipynb")

    def check(self, cell: str) -> CellReport:
        """This cell's findings, the cells run so far coming first."""
        cells = [*self.history, cell]
        nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [],
                         "execution_count": None} for c in cells],
              "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
        name = self.filename()
        settings = self._settings.for_path(name if os.path.isabs(name) else os.path.abspath(name))
        if settings.error:
            print(f"bflint: {settings.error} (checking with the default settings)")
        found = notebook.check_notebook(json.dumps(nb).encode("utf-8", "surrogatepass"), name,
                                        settings.enabled, document=self._document)
        mine = [dataclasses.replace(f, cell=None) for f in found if f.cell == len(cells)]
        return CellReport(mine, getattr(self.shell, "execution_count", None))

    # -- %bflint ----------------------------------------------------------------------
    def magic(self, line: str = "") -> None:
        """%bflint [strict|warn|on|off]: how cells are checked before they run."""
        arg = line.strip().lower()
        if arg in ("", "status"):
            print(f"bflint: mode {self.mode} ({len(self.history)} cells in the checked history)")
            return
        if arg == "on":
            arg = "warn"
        if arg not in MODES:
            from IPython.core.error import UsageError

            raise UsageError(f"%bflint: unknown mode {line.strip()!r}; use strict, warn, on or off")
        self.mode = arg
        messages = {"strict": "cells with severity-E findings are not run",
                    "warn": "findings are shown and the cell runs",
                    "off": "cells are not checked"}
        print(f"bflint: {arg}: {messages[arg]}")


_CHECKERS: dict[int, CellChecker] = {}


def load_ipython_extension(shell) -> None:
    if id(shell) in _CHECKERS:
        return
    checker = CellChecker(shell)
    checker.register()
    _CHECKERS[id(shell)] = checker


def unload_ipython_extension(shell) -> None:
    checker = _CHECKERS.pop(id(shell), None)
    if checker is not None:
        checker.unregister()
