"""The CLI's project-wide analysis (issue 12) in the language server.

:class:`ServerIndex` is the CLI's :class:`~bflint.project.index.ProjectIndex`
(the same resolution, parses, summaries and dependency records), with one
difference: a project module that is open in the editor is read from its
buffer, not from the disk. What an importer sees is what the user sees: an
unsaved edit of ``model_settings.py`` changes the diagnostics of the open
``workflow.py`` that imports it, as saving it and running ``bflint check
workflow.py`` would. Modules that are not open are read from the disk, and
noticed changed by their stat stamp (and by the client's
``workspace/didChangeWatchedFiles``). Nothing is imported or run.

Threads: the index is used by the server's single check worker only; the
event loop thread only assigns :attr:`ServerIndex.buffers` entries (one
dictionary store) and submits :meth:`ServerIndex.invalidate` to the worker."""

from __future__ import annotations

import os

from bflint import engine
from bflint.project.index import _UNPARSED, MAX_BYTES, ProjectIndex, _Parsed, content_hash
from bflint.project.resolve import clear_caches
from bflint.source import decode, may_need_analysis, read_source


def _parse(text: str):
    import libcst as cst  # start-up: the server loads LibCST in its preload anyway

    return engine.parse_without_gc(cst.parse_module, text)


class ServerIndex(ProjectIndex):
    """A ProjectIndex whose open documents are read from their buffers."""

    def __init__(self) -> None:
        super().__init__(parse=_parse)
        self.buffers: dict[str, str] = {}   # absolute path -> the open document's text
        self.dirty: set[str] = set()        # open documents whose buffer is not what is saved

    # -- the editor's documents --------------------------------------------------
    def open_buffer(self, path: str, text: str) -> bool:
        """A script opened in the editor; whether its buffer differs from the file
        (an editor can restore unsaved changes on open)."""
        path = os.path.abspath(path)
        self.buffers[path] = text
        try:
            dirty = decode(read_source(path)) != text
        except Exception:  # unreadable or undecodable: not what importers read either
            dirty = True
        if dirty:
            self.dirty.add(path)
        else:
            self.dirty.discard(path)
        return dirty

    def change_buffer(self, path: str, text: str) -> None:
        path = os.path.abspath(path)
        self.buffers[path] = text
        self.dirty.add(path)

    def saved_buffer(self, path: str, text: str | None = None) -> None:
        path = os.path.abspath(path)
        if text is not None:
            self.buffers[path] = text
        self.dirty.discard(path)

    def close_buffer(self, path: str) -> bool:
        """A document closed: importers read the file again. Whether what they see
        changes (the buffer had unsaved changes). The worker must
        :meth:`invalidate` the path before it checks them."""
        path = os.path.abspath(path)
        self.buffers.pop(path, None)
        was_dirty = path in self.dirty
        self.dirty.discard(path)
        return was_dirty

    @staticmethod
    def invalidate_resolution() -> None:
        """Resolve imports again (files may have appeared or gone)."""
        clear_caches()

    def invalidate(self, path: str, created_or_deleted: bool = False) -> None:
        """Forget the parse and the summaries of the module at ``path`` (it changed
        on disk or in the editor); ``created_or_deleted``: also what imports resolved
        to (a module appeared where an import looked for one, or went away).
        Summaries that follow imports (depth > 0) may hold the module's values:
        they go too."""
        path = os.path.abspath(path)
        self._parsed.pop(path, None)
        for key in [k for k in self._models if k[0] == path or k[2] > 0]:
            del self._models[key]
        if created_or_deleted:
            clear_caches()

    # -- the index's reads, with the buffers --------------------------------------
    def parsed(self, path: str, parse: bool = True) -> _Parsed:
        path = os.path.abspath(path)
        text = self.buffers.get(path)
        if text is not None:
            found = self._parsed.get(path)
            if found is not None and found.text is not text and found.text != text:
                self.invalidate(path)  # the buffer changed since it was read
        return super().parsed(path, parse)

    def _load(self, path: str, stamp: tuple) -> _Parsed:
        text = self.buffers.get(path)
        if text is None or not stamp:  # not open, or deleted on disk: as the CLI reads it
            return super()._load(path, stamp)
        data = text.encode("utf-8", "surrogatepass")
        digest = content_hash(data)
        if len(data) > MAX_BYTES:
            return _Parsed(digest, None, None, stamp)
        return _Parsed(digest, text, _UNPARSED, stamp)

    def remember(self, path: str, data_hash: str, text: str, module) -> None:
        """A checked document's own (incremental) parse: kept when it is the text
        importers read (the buffer of an open document, else the saved file)."""
        path = os.path.abspath(path)
        if path not in self.buffers:
            return super().remember(path, data_hash, text, module)
        if self.buffers.get(path) != text:
            return None  # a newer buffer is already there
        try:
            st = os.stat(path)
        except OSError:
            return None
        self.parses[path] += 1
        self._parsed[path] = _Parsed(data_hash, text, module, (st.st_mtime_ns, st.st_size, st.st_ino))
        return None

    def may_matter(self, path: str, raw: bytes) -> bool:
        """The pre-filter's view (:meth:`ProjectIndex.may_matter`), and an open
        module whose buffer passes the pre-filter and whose name the file
        mentions (a cheap superset of importing it)."""
        # the index memoises each module's pre-filter verdict for a CLI run; here every
        # check is a run of its own (a module may have changed since the last one)
        passes = getattr(self, "_passes", None)
        if isinstance(passes, dict):
            passes.clear()
        if super().may_matter(path, raw):
            return True
        if b"import" not in raw:
            return False
        me = os.path.abspath(path)
        for p, text in list(self.buffers.items()):
            if p == me or not may_need_analysis(text):
                continue
            stem = os.path.splitext(os.path.basename(p))[0]
            if stem == "__init__":
                stem = os.path.basename(os.path.dirname(p))
            if stem.encode("utf-8", "surrogatepass") in raw:
                return True
        return False

    # -- what a check read ----------------------------------------------------------
    def current(self, deps: dict | None) -> bool:
        """Whether the modules a check read (``finished``'s record) are unchanged
        for it, as the CLI's result cache judges them: the same content (buffer or
        file), or at least the same summary fingerprint of the names taken from it
        (an edit of another function of ``model_settings.py``: the importer's
        findings stay; the record takes the new hash), and no module where an
        import found none."""
        if deps is None:
            return False
        hashes = deps.get("hashes", {})
        fps = deps.get("fingerprints", {})
        for path, digest in list(hashes.items()):
            now = self.parsed(path, parse=False).digest
            if now == digest:
                continue
            fp = fps.get(path)
            if now is None or fp is None or self.fingerprint(path, fp[1]) != fp[0]:
                return False
            hashes[path] = now
        for path in deps.get("missing", ()):
            if os.path.exists(path):
                clear_caches()  # resolve the imports again
                return False
        return True


def dependencies(deps: dict | None) -> frozenset[str] | None:
    """The files a check depends on: the modules it read, the files its imports
    looked for and did not find. None: not known."""
    if deps is None:
        return None
    return frozenset(deps.get("hashes", {})) | frozenset(deps.get("missing", ()))
