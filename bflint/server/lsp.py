"""``bflint server``: the Language Server Protocol over stdio, built on pygls.

* Diagnostics for Python documents on open, change (debounced) and save,
  and for Jupyter notebooks through LSP 3.17 notebook document sync (the
  code cells in order, as ``bflint check x.ipynb`` reads them; each
  diagnostic is published on its cell's document).
* Code actions: a rule's fix (safe ones as the preferred ``quickfix``),
  ``source.fixAll.bflint`` (the safe fixes of ``bflint check --fix``) and
  "add ``# noqa: BFxxx``".
* Hover on a flagged range: the rule's documentation (``bflint rule``).
* Project-wide analysis (:mod:`bflint.server.project`): imports of the
  project's own modules are followed as ``bflint check`` follows them, open
  modules read from their buffers; a change of a module (typed, saved, or
  on disk through ``workspace/didChangeWatchedFiles``) re-checks the open
  documents whose last check read it.

The analysis is :mod:`bflint.server.core` (the CLI's code). Checks run on
one worker thread, the newest text of a document only; a half-typed file
gets its BF000 and nothing else. The document is never executed."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from bflint import __version__, engine
from bflint.registry import all_rules
from bflint.server import core
from bflint.source import decode, read_source

log = logging.getLogger("bflint.server")

DEBOUNCE = 0.03  # seconds of quiet typing before a changed document is checked
# (initializationOptions {"debounceMs": N} changes it for a session)

# a change of one of these files re-checks every open document (the CLI's names)
CONFIG_NAMES = ("pyproject.toml", "bflint.toml")
# a change of one of these re-checks the open documents that import it (project analysis)
MODULE_GLOB = "**/*.py"

_SEVERITY = {"E": T.DiagnosticSeverity.Error, "W": T.DiagnosticSeverity.Warning,
             "I": T.DiagnosticSeverity.Information}


class _Doc:
    """What was last checked and published for one document (a script or a notebook)."""

    def __init__(self) -> None:
        self.version: int | None = None      # the version the problems belong to
        self.problems: list[core.Problem] = []
        self.published: set[str] = set()     # URIs that got diagnostics
        self.texts: dict[str, str] = {}      # uri -> the text the problems refer to
        self.pending: asyncio.Task | None = None
        self.last_change = 0.0                # time.monotonic() of the last change


class BflintLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "bflint", __version__,
            text_document_sync_kind=T.TextDocumentSyncKind.Incremental,
            notebook_document_sync=T.NotebookDocumentSyncOptions(
                notebook_selector=[T.NotebookDocumentFilterWithCells(
                    notebook="jupyter-notebook", cells=[T.NotebookCellLanguage(language="python")])],
                save=True),
        )
        self.linter = core.Linter()
        self.docs: dict[str, _Doc] = {}          # script or notebook URI -> state
        self.owner: dict[str, str] = {}          # cell URI -> notebook URI
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bflint-check")
        self.config_errors: set[str] = set()     # shown once each
        self.debounce = DEBOUNCE

    # -- documents ---------------------------------------------------------------
    @property
    def encoding(self) -> str:
        enc = self.workspace.position_encoding
        return str(getattr(enc, "value", enc) or "utf-16")

    def fallback_dir(self) -> str | None:
        folders = list(self.workspace.folders.values())
        path = to_fs_path(folders[0].uri) if folders else None
        if path is None and self.workspace.root_uri:
            path = to_fs_path(self.workspace.root_uri)
        return path

    def snapshot(self, uri: str) -> dict[str, Any] | None:
        """The current text(s) of a script or notebook URI."""
        nb = self.workspace.get_notebook_document(notebook_uri=uri)
        if nb is not None:
            cells = []
            for cell in nb.cells:
                doc = self.workspace.text_documents.get(cell.document)
                code = (cell.kind == T.NotebookCellKind.Code and doc is not None
                        and (doc.language_id or "python") == "python")
                text = doc.source if doc is not None else ""
                cells.append(core.Cell(cell.document, text, code))
            return {"kind": "notebook", "uri": uri, "version": nb.version, "cells": cells,
                    "metadata": nb.metadata if isinstance(nb.metadata, dict) else None,
                    "path": _path(uri)}
        doc = self.workspace.text_documents.get(uri)
        if doc is None or not _is_python(uri, doc.language_id):
            return None
        return {"kind": "script", "uri": uri, "version": doc.version, "text": doc.source,
                "path": _path(uri)}

    def analyse(self, snap: dict[str, Any], saved: bool = False) -> list[core.Problem] | None:
        """Runs on the worker thread; None when the text is no longer the newest."""
        latest = self.snapshot(snap["uri"])
        if latest is None or latest["version"] != snap["version"]:
            return None  # a newer change was queued behind this one: check that instead
        settings = self.linter.settings.for_path(snap["path"], self.fallback_dir())
        if settings.error and settings.error not in self.config_errors:
            self.config_errors.add(settings.error)
            self.window_show_message(T.ShowMessageParams(
                type=T.MessageType.Error,
                message=f"bflint: {settings.error} (checking with the default settings)"))
        if snap["kind"] == "notebook":
            return self.linter.check_notebook(snap["uri"], snap["cells"], snap["path"], settings,
                                              snap["metadata"])
        return self.linter.check_script(snap["uri"], snap["text"], snap["path"], settings,
                                        saved=saved)

    async def check(self, uri: str, *, delay: float = 0.0, saved: bool = False,
                    quiet: bool = False) -> None:
        """Check the newest text of ``uri`` and publish its diagnostics (``quiet``:
        not when they are what was published for this version: a module it
        imports changed, and not in a way that matters here)."""
        state = self.docs.setdefault(uri, _Doc())
        current = asyncio.current_task()
        if state.pending is not None and state.pending is not current and not state.pending.done():
            state.pending.cancel()
        state.pending = current
        try:
            if delay:
                await asyncio.sleep(delay)
            snap = self.snapshot(uri)
            if snap is None:
                return
            loop = asyncio.get_running_loop()
            try:
                problems = await loop.run_in_executor(self.executor, self.analyse, snap, saved)
            except Exception as exc:  # never let one document stop the server

                log.exception("checking %s failed", uri)
                f = engine.internal_error(exc, snap["path"] or uri)
                first = snap["cells"][0].uri if snap["kind"] == "notebook" and snap["cells"] else uri
                problems = [core.Problem(f, first)]
            latest = self.snapshot(uri)
            if problems is None or latest is None or latest["version"] != snap["version"]:
                return  # a newer change is (or will be) checked
            if quiet and state.version == snap["version"] and state.problems == problems:
                return
            self.publish(uri, snap, problems)
        except asyncio.CancelledError:
            pass
        finally:
            if state.pending is current:
                state.pending = None

    def changed(self, uri: str, quiet: bool = False) -> None:
        """Debounce: the first change after a pause is checked at once (no
        added latency); changes that follow within ``debounce`` seconds of
        each other are coalesced into one check of the newest text.
        ``quiet``: a module it imports changed (see :meth:`check`)."""
        state = self.docs.setdefault(uri, _Doc())
        now = time.monotonic()
        burst = now - state.last_change < self.debounce
        state.last_change = now
        busy = state.pending is not None and not state.pending.done()
        asyncio.ensure_future(self.check(uri, delay=self.debounce if burst or busy else 0.0,
                                         quiet=quiet))

    # -- project modules (issue 12's analysis in the editor) -------------------------
    def module_changed(self, path: str | None, *, on_disk: bool = False,
                       created_or_deleted: bool = False) -> None:
        """The module at ``path`` changed (in the editor, or on disk): its parse
        and summaries are forgotten (on the worker, before any check that
        follows), and every open document whose last check read it (or looked
        for a module there) is checked again, debounced as a change of its own."""
        index = self.linter.index
        if path is None or index is None:
            return
        if on_disk or created_or_deleted:
            self.executor.submit(index.invalidate, path, created_or_deleted)
        names = {(_path(uri) or uri): uri for uri in self.docs}
        for name in self.linter.dependents(path, names):
            self.changed(names[name], quiet=True)

    def recheck_all(self) -> None:
        """A configuration changed: every open script and notebook again (what
        imports resolve to may change with a project marker: resolved again)."""
        self.executor.submit(self.linter.reset)  # on the worker, before the checks
        for uri in list(self.docs):
            asyncio.ensure_future(self.check(uri))

    def publish(self, uri: str, snap: dict[str, Any], problems: list[core.Problem]) -> None:
        state = self.docs.setdefault(uri, _Doc())
        state.version = snap["version"]
        state.problems = problems
        if snap["kind"] == "notebook":
            texts = {c.uri: c.text for c in snap["cells"]}
            for c in snap["cells"]:
                self.owner[c.uri] = uri
        else:
            texts = {uri: snap["text"]}
        state.texts = texts
        by_uri: dict[str, list[T.Diagnostic]] = {u: [] for u in texts}
        lines_of: dict[str, list[str]] = {}
        for p in problems:
            lines = lines_of.get(p.uri)
            if lines is None:
                lines = lines_of[p.uri] = core.lines_of(texts.get(p.uri, ""))
            by_uri.setdefault(p.uri, []).append(self.diagnostic(p, lines))
        for u in state.published - set(by_uri):
            by_uri[u] = []  # a removed cell: clear what it showed
        for u, diags in by_uri.items():
            version = snap["version"] if snap["kind"] == "script" else None
            self.text_document_publish_diagnostics(
                T.PublishDiagnosticsParams(uri=u, diagnostics=diags, version=version))
        state.published = {u for u, d in by_uri.items() if d}

    def module_path(self, uri: str) -> str | None:
        """The file of a Python script URI (an importable module), or None."""
        if uri in self.owner or not uri.endswith(".py"):
            return None
        return _path(uri)

    def forget(self, uri: str) -> None:
        self.linter.forget(_path(uri) or uri)
        self.linter.forget((_path(uri) or uri) + "#cells")
        state = self.docs.pop(uri, None)
        if state is None:
            return
        if state.pending is not None:
            state.pending.cancel()
        for u in state.published | set(state.texts):
            self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=u, diagnostics=[]))
            self.owner.pop(u, None)

    # -- conversions ---------------------------------------------------------------
    def lsp_range(self, rng: tuple[int, int, int, int], lines) -> T.Range:
        r, c, er, ec = rng
        sl, sc = core.to_units(lines, r, c, self.encoding)
        el, ec_ = core.to_units(lines, er, ec, self.encoding)
        return T.Range(start=T.Position(line=sl, character=sc), end=T.Position(line=el, character=ec_))

    def diagnostic(self, p: core.Problem, lines) -> T.Diagnostic:
        f = p.finding
        return T.Diagnostic(
            range=self.lsp_range(core.display_range(f, lines), lines),
            message=f.message,
            severity=_SEVERITY.get(f.severity, T.DiagnosticSeverity.Error),
            code=f.code,
            code_description=T.CodeDescription(href=f.url),
            source=core.SOURCE,
            data={"name": f.name, "fixable": bool(f.fix),
                  "applicability": (f.fix or {}).get("applicability")},
            related_information=self.related(f),
        )

    def related(self, f) -> list[T.DiagnosticRelatedInformation] | None:
        """Where the cause of a finding lies in another module of the project
        (the CLI's "the cause is in model_settings.py:7"), when the client shows it."""
        where = f.related_location()
        caps = self.client_capabilities.text_document
        shown = caps.publish_diagnostics if caps is not None else None
        if where is None or shown is None or not shown.related_information:
            return None
        path = where["filename"]
        index = self.linter.index
        text = index.buffers.get(os.path.abspath(path)) if index is not None else None
        if text is None:
            try:
                text = decode(read_source(path))
            except Exception:
                text = ""
        lines = core.lines_of(text)
        line, character = core.to_units(lines, where["row"], where["column"], self.encoding)
        pos = T.Position(line=line, character=character)
        return [T.DiagnosticRelatedInformation(
            location=T.Location(uri=from_fs_path(path) or path, range=T.Range(start=pos, end=pos)),
            message=f"the cause of this {f.code} finding")]

    def state_for(self, uri: str) -> tuple[str, _Doc] | None:
        key = self.owner.get(uri, uri)
        state = self.docs.get(key)
        return (key, state) if state is not None else None

    def text_edit(self, uri: str, rng, content: str, texts: dict[str, str]) -> T.TextEdit:
        return T.TextEdit(range=self.lsp_range(rng, core.lines_of(texts.get(uri, ""))),
                          new_text=content)

    def workspace_edit(self, edits, texts: dict[str, str]) -> T.WorkspaceEdit:
        changes: dict[str, list[T.TextEdit]] = {}
        for uri, rng, content in edits:
            changes.setdefault(uri, []).append(self.text_edit(uri, rng, content, texts))
        return T.WorkspaceEdit(changes=changes)


def _path(uri: str) -> str | None:
    try:
        return to_fs_path(uri) if uri.startswith("file:") else None
    except Exception:
        return None


def _is_python(uri: str, language_id: str | None) -> bool:
    """A Python script (not e.g. the pyproject.toml a client also syncs)."""
    if uri.rsplit("/", 1)[-1] in CONFIG_NAMES:
        return False
    return not language_id or language_id == "python" or uri.endswith((".py", ".pyi"))


def _wants(only, kind: str) -> bool:
    """Whether a requested ``only`` list admits ``kind`` (hierarchical kinds)."""
    if not only:
        return kind != core.FIX_ALL_KIND  # source actions only when asked for
    return any(kind == k or kind.startswith(str(k) + ".") for k in only)


def build() -> BflintLanguageServer:
    server = BflintLanguageServer()

    @server.feature(T.INITIALIZE)
    def initialize(ls: BflintLanguageServer, params: T.InitializeParams):
        opts = params.initialization_options
        if isinstance(opts, dict) and isinstance(opts.get("debounceMs"), (int, float)):
            ls.debounce = max(0.0, min(float(opts["debounceMs"]), 5000.0)) / 1000
        if isinstance(opts, dict) and opts.get("project") is False:  # as ``--no-project``
            ls.linter.index = None

    @server.feature(T.INITIALIZED)
    def initialized(ls: BflintLanguageServer, params: T.InitializedParams):
        # ask the client to tell us when a configuration file or (for the project
        # analysis) a Python module changes on disk, as ruff's server does
        caps = ls.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps is not None else None
        if watched is not None and watched.dynamic_registration:
            registrations = [T.Registration(
                id="bflint-config", method=T.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=T.DidChangeWatchedFilesRegistrationOptions(watchers=[
                    T.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_NAMES]))]
            if ls.linter.index is not None:
                registrations.append(T.Registration(
                    id="bflint-modules", method=T.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=T.DidChangeWatchedFilesRegistrationOptions(watchers=[
                        T.FileSystemWatcher(glob_pattern=MODULE_GLOB)])))
            ls.client_register_capability(T.RegistrationParams(registrations=registrations))

    @server.feature(T.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: BflintLanguageServer, params: T.DidChangeWatchedFilesParams):
        if any(c.uri.rsplit("/", 1)[-1] in CONFIG_NAMES for c in params.changes):
            ls.recheck_all()
            return
        index = ls.linter.index
        for c in params.changes:
            path = _path(c.uri)
            if path is None or not path.endswith(".py") or index is None:
                continue
            if os.path.abspath(path) in index.buffers:
                continue  # open: importers read the editor's buffer, not the file
            ls.module_changed(path, on_disk=True, created_or_deleted=c.type in (
                T.FileChangeType.Created, T.FileChangeType.Deleted))

    @server.feature(T.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def changed_configuration(ls: BflintLanguageServer, params: T.DidChangeConfigurationParams):
        ls.recheck_all()  # bflint's settings live in the files; a client's nudge re-reads them

    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: BflintLanguageServer, params: T.DidOpenTextDocumentParams):
        uri = params.text_document.uri
        if uri in ls.owner:
            return  # a notebook cell: checked with its notebook
        path = ls.module_path(uri)
        if path is not None and ls.linter.index is not None:
            ls.linter.index.invalidate_resolution()
            if ls.linter.index.open_buffer(path, params.text_document.text):
                ls.module_changed(path)  # restored with unsaved changes: importers see them
        await ls.check(uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: BflintLanguageServer, params: T.DidChangeTextDocumentParams):
        uri = params.text_document.uri
        ls.changed(ls.owner.get(uri, uri))
        path = ls.module_path(uri)
        doc = ls.workspace.text_documents.get(uri)
        if path is not None and doc is not None and ls.linter.index is not None:
            ls.linter.index.change_buffer(path, doc.source)
            ls.module_changed(path)

    @server.feature(T.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: BflintLanguageServer, params: T.DidSaveTextDocumentParams):
        uri = params.text_document.uri
        if uri.rsplit("/", 1)[-1] in CONFIG_NAMES:  # a configuration edited in the editor
            ls.recheck_all()
            return
        path = ls.module_path(uri)
        doc = ls.workspace.text_documents.get(uri)
        if path is not None and doc is not None and ls.linter.index is not None:
            ls.linter.index.saved_buffer(path, doc.source)
            # what importers read is unchanged (the buffer); checked again anyway, quietly:
            # a client may have changed the text with the save
            ls.module_changed(path)
        await ls.check(ls.owner.get(uri, uri), saved=uri not in ls.owner)

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: BflintLanguageServer, params: T.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        if uri in ls.owner:
            return
        path = ls.module_path(uri)
        ls.forget(uri)
        if path is not None and ls.linter.index is not None \
                and ls.linter.index.close_buffer(path):
            ls.module_changed(path, on_disk=True)  # unsaved changes dropped: the file again

    @server.feature(T.NOTEBOOK_DOCUMENT_DID_OPEN)
    async def nb_open(ls: BflintLanguageServer, params: T.DidOpenNotebookDocumentParams):
        for cell in params.notebook_document.cells:
            ls.owner[cell.document] = params.notebook_document.uri
        await ls.check(params.notebook_document.uri)

    @server.feature(T.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def nb_change(ls: BflintLanguageServer, params: T.DidChangeNotebookDocumentParams):
        uri = params.notebook_document.uri
        nb = ls.workspace.get_notebook_document(notebook_uri=uri)
        for cell in (nb.cells if nb is not None else ()):
            ls.owner[cell.document] = uri
        ls.changed(uri)

    @server.feature(T.NOTEBOOK_DOCUMENT_DID_SAVE)
    async def nb_save(ls: BflintLanguageServer, params: T.DidSaveNotebookDocumentParams):
        await ls.check(params.notebook_document.uri)

    @server.feature(T.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def nb_close(ls: BflintLanguageServer, params: T.DidCloseNotebookDocumentParams):
        ls.forget(params.notebook_document.uri)

    @server.feature(T.TEXT_DOCUMENT_CODE_ACTION, T.CodeActionOptions(
        code_action_kinds=[T.CodeActionKind.QuickFix, core.FIX_ALL_KIND], resolve_provider=False))
    async def code_action(ls: BflintLanguageServer, params: T.CodeActionParams):
        uri = params.text_document.uri
        found = ls.state_for(uri)
        if found is None:
            return None
        key, state = found
        if state.pending is not None:  # a check is under way: answer for the newest text
            try:
                await asyncio.shield(state.pending)
            except (Exception, asyncio.CancelledError):  # replaced by a newer check
                pass
        snap = ls.snapshot(key)
        if snap is None:
            return None
        if snap["version"] != state.version:
            await ls.check(key)
        texts = state.texts
        if uri not in texts:
            return None
        lines = core.lines_of(texts[uri])
        start = core.from_units(lines, params.range.start.line, params.range.start.character,
                                ls.encoding)
        end = core.from_units(lines, params.range.end.line, params.range.end.character, ls.encoding)
        only = params.context.only
        actions: list[T.CodeAction] = []
        mine = [p for p in state.problems if p.uri == uri]
        here = [p for p in mine if core.intersects(core.display_range(p.finding, lines), start, end)]
        if _wants(only, T.CodeActionKind.QuickFix):
            for p in here:
                f = p.finding
                diag = ls.diagnostic(p, lines)
                if p.edits and f.fix:
                    safe = f.fix.get("applicability") == "safe"
                    actions.append(T.CodeAction(
                        title=f"bflint ({f.code}): {f.fix.get('message') or 'apply the fix'}"
                              + ("" if safe else " (unsafe fix: review it)"),
                        kind=T.CodeActionKind.QuickFix, diagnostics=[diag], is_preferred=safe,
                        edit=ls.workspace_edit(p.edits, texts)))
            seen = set()
            for p in here:
                f = p.finding
                if (f.row, f.code) in seen or f.code in ("BF000", "BF001", "BF999"):
                    continue
                seen.add((f.row, f.code))
                noqa = core.noqa_edit(texts[uri], f.row, f.code)
                if noqa is None:
                    continue
                rng, content = noqa
                actions.append(T.CodeAction(
                    title=f"bflint ({f.code}): add `# noqa: {f.code}` (suppress on this line)",
                    kind=T.CodeActionKind.QuickFix, diagnostics=[ls.diagnostic(p, lines)],
                    edit=ls.workspace_edit([(uri, rng, content)], texts)))
        if _wants(only, core.FIX_ALL_KIND):
            # on the check worker: the project index is used by that thread only
            edit = await asyncio.get_running_loop().run_in_executor(
                ls.executor, fix_all, ls, key, snap, state)
            if edit is not None:
                actions.append(T.CodeAction(title="bflint: fix all auto-fixable problems",
                                            kind=core.FIX_ALL_KIND, edit=edit))
        return actions

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    def hover(ls: BflintLanguageServer, params: T.HoverParams):
        uri = params.text_document.uri
        found = ls.state_for(uri)
        if found is None:
            return None
        _, state = found
        lines = core.lines_of(state.texts.get(uri, ""))
        row, col = core.from_units(lines, params.position.line, params.position.character,
                                   ls.encoding)
        hits = [p for p in state.problems
                if p.uri == uri and core.contains(core.display_range(p.finding, lines), row, col)]
        if not hits:
            return None
        parts, codes = [], []
        for p in hits:
            if p.finding.code in codes:
                continue
            codes.append(p.finding.code)
            text = core.rule_text(p.finding.code)
            if text:
                parts.append(text)
        if not parts:
            return None
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown,
                                                value="\n\n---\n\n".join(parts)),
                       range=ls.lsp_range(core.display_range(hits[0].finding, lines), lines))

    @server.feature(T.SHUTDOWN)
    def shutdown(ls: BflintLanguageServer, *args):
        for state in ls.docs.values():
            if state.pending is not None:
                state.pending.cancel()
        ls.executor.shutdown(wait=False, cancel_futures=True)

    return server


def fix_all(ls: BflintLanguageServer, key: str, snap, state: _Doc) -> T.WorkspaceEdit | None:
    if snap["kind"] == "script":
        settings = ls.linter.settings.for_path(snap["path"], ls.fallback_dir())
        filename = snap["path"] or key
        new = core.fix_all_script(snap["text"], filename, settings, ls.linter.project_for(filename))
        if new is None:
            return None
        # the whole document, replaced (as ruff does)
        lines = core.lines_of(snap["text"])
        r = T.Range(start=T.Position(line=0, character=0),
                    end=T.Position(line=len(lines), character=0))
        if lines and not snap["text"].endswith(("\n", "\r")):
            r = ls.lsp_range((1, 1, len(lines), len(lines[-1]) + 1), lines)
        return T.WorkspaceEdit(changes={key: [T.TextEdit(range=r, new_text=new)]})
    edits = core.fix_all_edits(state.problems)
    return ls.workspace_edit(edits, state.texts) if edits else None


def preload() -> None:
    """Import the analysis before the first document arrives, then freeze
    everything alive (gc.freeze): the cyclic collector, run again and again
    while a check allocates, then never walks the server's own start-up
    objects (pygls, lsprotocol, the rules). Measured with bench/bench.py
    row 9: the check took ~190 ms in the server against ~130 ms alone."""
    try:
        # start-up: LibCST and the rules, loaded before the first request (see above)
        import libcst  # noqa: F401

        all_rules()
        engine.check_source("import bayesflow as bf\nbf.BasicWorkflow()\n", "<warm-up>",
                            engine._enabled())
    except Exception:  # a broken rule shows as BF999 on the first document instead
        pass
    gc.collect()
    gc.freeze()


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="bflint server: %(message)s")
    server = build()
    preload()
    server.start_io()
    return 0
