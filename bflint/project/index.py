"""The per-run memo of project modules (issue 12): each module is read and
parsed at most once, and its summary (the :class:`SemanticModel` of the module,
built by the same builder as any linted file) is built once per depth.

A summary at depth ``d`` follows the module's own project imports to
summaries at depth ``d - 1``; depth 0 follows none. That is what makes the
analysis depth-limited, cycle-safe (``a`` imports ``b`` imports ``a``: the
depths decrease) and deterministic (a file's findings never depend on which
file of the run was checked first). A budget bounds the modules one linted
file may pull in. Nothing is ever imported or executed: modules are read as
bytes and parsed by LibCST."""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from bflint.project.resolve import (
    FOUND,
    LIBRARIES,
    LISTINGS,
    Resolver,
    _module_file,
    clear_caches,
    sys_path_candidates_ast,
)
from bflint.source import decode, may_need_analysis, nesting_guard, read_source

if TYPE_CHECKING:  # LibCST is imported only where a module is parsed (a warm run never needs it)
    import libcst as cst

    from bflint.project import fingerprint as fp_mod

try:  # the same hash as bflint.cache.content_hash (the cache compares them)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b


def content_hash(data: bytes) -> str:
    """The hash the result cache keys files by (``bflint.cache.content_hash``)."""
    return blake2b(data, digest_size=16).hexdigest()

DEPTH = 1            # linted file -> its imports (their own imports: not followed)
MAX_MODULES = 48     # distinct project modules one linted file may read
MAX_MEMO = 512       # parsed modules kept (LRU-ish: oldest dropped)
MAX_BYTES = 512 * 1024  # larger modules are not summarised

# kinds of module-level values worth handing to an importer
_EXPORTED = frozenset({"function", "workflow", "adapter", "simulator", "network", "estimator",
                       "literal", "import", "history", "history_dict", "foreign", "bf",
                       "sims", "samples", "diagnostics", "figures"})


def _numeric_constant(v) -> bool:
    """``IMG = 28`` / ``CHANNELS = 2 - 1``: a number an importer's shapes and sizes use."""
    import libcst as cst  # start-up: reached only once a project module was parsed

    if v.kind != "opaque" or v.node is None:
        return False
    stack = [v.node]
    while stack:  # numbers, names and arithmetic only
        node = stack.pop()
        if isinstance(node, (cst.UnaryOperation, cst.BinaryOperation)):
            stack.extend([node.expression] if isinstance(node, cst.UnaryOperation)
                         else [node.left, node.right])
        elif not isinstance(node, (cst.Integer, cst.Float, cst.Name)):
            return False
    return isinstance(v.node, (cst.Integer, cst.Float, cst.UnaryOperation, cst.BinaryOperation))


_UNPARSED: Any = object()  # read and measured, not parsed by LibCST yet


@dataclasses.dataclass
class _Parsed:
    digest: str | None   # None: unreadable
    text: str | None
    module: cst.Module | None  # None when it does not parse; _UNPARSED: not parsed yet
    stamp: tuple
    guard: tuple | None = None  # nesting_guard(text), when it was measured


class ProjectIndex:
    """What one process knows about project modules. Safe to keep across
    runs: entries are keyed by the file's stat stamp and content hash."""

    def __init__(self, depth: int = DEPTH, parse=None):
        """``parse(text) -> Module`` (the engine's, with the garbage collector paused);
        LibCST's ``parse_module`` by default."""
        self.depth = depth
        self._parse_fn = parse
        self._parsed: dict[str, _Parsed] = {}
        self._models: dict[tuple, object] = {}  # (path, hash, depth, part) -> summary
        self.parses: Counter = Counter()   # path -> times parsed (tests: never twice)
        self.pool_parses: Counter = Counter()  # the same, summed over a run's workers
        self.partial_parses: Counter = Counter()  # path -> parses of a part (at most once)
        self.read: set[str] = set()         # project modules read (the statistics line)
        self.last_deps: dict[str, dict] = {}  # linted file -> its dependencies (see finished)
        self._tables: dict[str, fp_mod.Table | None] = {}  # content hash -> fingerprint table
        # content hash -> nesting_guard of a module read (only the guard: keeping the _Parsed
        # kept its text and tree beyond MAX_MEMO, peak memory grew with the tree, issue 18 §3)
        self._guards: dict[str, tuple] = {}
        # files this process lints in this run: their summaries use their own full
        # parse; a module only imported is parsed in part (the statements taken)
        self.linting: set[str] = set()
        self.fingerprints = True  # compute the summary fingerprints (the cache's) in finished
        # module -> every name the files this process lints take from it (prepare):
        # one part of it serves them all
        self.shared: dict[str, frozenset[str] | None] = {}
        self._passes: dict[str, bool] = {}  # module -> passes the text pre-filter (this run)
        # "content hash:path" -> the folders a file adds to sys.path (or None), see may_matter
        self.sys_path_memo: dict[str, list[str] | None] = {}

    def prepare(self, paths, fingerprints: bool = True) -> None:
        """The files this process lints in this run: their own parses serve as
        their summaries; of the modules they only import, one part each is
        parsed: what all of them take (a cheap scan of their import lines).
        ``fingerprints``: whether the results go to the cache (which needs them)."""
        self.fingerprints = fingerprints
        self.linting = {os.path.abspath(p) for p in paths}
        shared: dict[str, frozenset[str] | None] = {}
        for path in self.linting:
            try:
                text = read_source(path).decode("utf-8", "surrogateescape")
            except (OSError, ValueError):
                continue
            for f, names in _plan(text, Resolver(path, None)).items():
                if f in self.linting:
                    continue
                before = shared.get(f, frozenset())
                shared[f] = before | names if names is not None and before is not None else None
        self.shared = shared

    def new_run(self) -> None:
        """Forget what the file system looked like (modules created or deleted since)."""
        clear_caches()
        self._passes.clear()
        self.pool_parses.clear()

    # -- files ---------------------------------------------------------------
    def parsed(self, path: str, parse: bool = True) -> _Parsed:
        """The module at ``path`` read (and, with ``parse``, parsed by LibCST) once."""
        path = os.path.abspath(path)
        try:
            st = os.stat(path)
            stamp: tuple[int, ...] = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = ()
        found = self._parsed.get(path)
        if found is None or found.stamp != stamp or not stamp:
            found = self._load(path, stamp)
            if len(self._parsed) >= MAX_MEMO:
                for k in list(self._parsed)[: MAX_MEMO // 4]:
                    del self._parsed[k]
                self._models.clear()
            self._parsed[path] = found
        if parse and found.module is _UNPARSED:
            # measured first (LibCST's parser must never see pathological nesting); a
            # module parsed only in part is measured in that part (model)
            found.guard = nesting_guard(found.text or "")
            deep, refusal = found.guard
            found.module = None if deep or refusal is not None else self._parse(path, found.text or "")
            if found.digest is not None:
                if len(self._guards) >= 16 * MAX_MEMO:
                    self._guards.clear()
                self._guards[found.digest] = found.guard
        return found

    def _load(self, path: str, stamp: tuple) -> _Parsed:
        try:
            data = read_source(path)
        except OSError:
            return _Parsed(None, None, None, stamp)
        digest = content_hash(data)
        if len(data) > MAX_BYTES:
            return _Parsed(digest, None, None, stamp)
        try:
            text = decode(data)
        except Exception:
            return _Parsed(digest, None, None, stamp)
        return _Parsed(digest, text, _UNPARSED, stamp)

    def _parse(self, path: str, text: str, partial: bool = False):
        import libcst as cst  # start-up: only a run that follows project imports parses them

        (self.partial_parses if partial else self.parses)[path] += 1
        try:
            return (self._parse_fn or cst.parse_module)(text)
        except (cst.ParserSyntaxError, cst.CSTValidationError, RecursionError):
            return None
        except Exception:
            return None

    def remember(self, path: str, data_hash: str, text: str, module) -> None:
        """A linted file's own parse, reused when another file imports it (only
        when it is the file's content: ``--fix`` checks texts it has not written yet)."""
        path = os.path.abspath(path)
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            if content_hash(read_source(path)) != data_hash:
                return
        except OSError:
            return
        self.parses[path] += 1
        self._parsed[path] = _Parsed(data_hash, text, module, stamp)

    def known_guard(self, data_hash: str | None) -> tuple | None:
        """``nesting_guard`` of a module read earlier in this process with these bytes."""
        if data_hash is None:
            return None
        return self._guards.get(data_hash)

    def known_parse(self, path: str, data_hash: str):
        """The module parsed earlier in this process for exactly these bytes, or None."""
        found = self._parsed.get(os.path.abspath(path))
        if found is not None and found.digest == data_hash and found.module is not None \
                and found.module is not _UNPARSED:
            return found.module
        return None

    # -- summaries -------------------------------------------------------------
    def context(self, path: str, module, depth: int | None = None) -> "Context":
        return Context(self, path, module, self.depth if depth is None else depth)

    def model(self, path: str, depth: int, names: frozenset[str] | None = None):
        """The summary of the module at ``path`` (its SemanticModel, imports followed
        ``depth`` levels), or None when it cannot be read or parsed. ``names``: the
        names the importer takes, when known: a module this process does not lint
        itself is then parsed and modelled in part, only the statements those
        names depend on (:meth:`bflint.project.fingerprint.Table.partial_text`:
        the same rows and columns, the same values for those names)."""
        path = os.path.abspath(path)
        p = self.parsed(path, parse=False)
        if p.module is None or p.digest is None or p.text is None:
            return None
        text, kept, walked = p.text, None, None
        module: cst.Module | None = p.module
        table = self.table(p) if names is not None else None
        if table is not None and names is not None and module is _UNPARSED \
                and path not in self.linting:
            wider = self.shared.get(path)
            if wider is not None and names <= wider:
                names = wider
            text, kept = table.partial_text(names)
            if (path, p.digest, depth, kept) not in self._models and self.partial_parses[path]:
                text, kept = p.text, None  # another part of it was parsed: parse it whole
        elif table is not None and names is not None:
            # linted here: its own full parse, only the statements taken walked
            walked = tuple(table.closure(names)[0])
        key = (path, p.digest, depth, kept if walked is None else ("walked", walked))
        if key in self._models:
            return self._models[key]
        self._models[key] = None  # re-entry (cannot happen with decreasing depth): unknown
        if kept is not None:
            deep, refusal = nesting_guard(text)
            module = None if deep or refusal is not None else self._parse(path, text, partial=True)
        else:
            module = self.parsed(path).module
        if module is None:
            return None
        full = module
        if walked is not None and table is not None:
            module = _statements(module, set(walked), len(table.code)) or module
        # start-up: the model loads LibCST's node classes (a warm cached run never needs it)
        from bflint.semantic.model import SemanticModel

        try:
            ctx = self.context(path, module, depth)
            m = SemanticModel(module, text, path, project=ctx)
            m.full_module = full  # type: ignore[attr-defined]  # where its nodes are (positions)
        except RecursionError:
            m = None
        except Exception:
            m = None
        self._models[key] = m
        return m

    # -- the runner's view ------------------------------------------------------
    def may_matter(self, path: str, raw: bytes) -> bool:
        """Whether a file that fails the text pre-filter may still get findings
        through a project module it imports (directly or within the depth): one of
        them passes the pre-filter. ``sys.path`` edits count as imports of anything."""
        if b"import" not in raw:
            return False
        if path.endswith(".ipynb"):  # the cells' lines are JSON strings: one per line
            raw = raw.replace(b'"', b"\n")
            if b"sys.path" in raw or (b"sys" in raw and _SYS_PATH_EDIT.search(raw)):
                return True
            return _may_matter(os.path.abspath(path), raw, self.depth - 1, set(), self._passes)
        additions = None
        if b"sys" in raw and _SYS_PATH_EDIT.search(raw):
            # the folders it adds to sys.path, read with ``ast`` (issue 18 §3: with LibCST,
            # or taking every such file as one that matters, a run over the standard
            # library parsed 93 files); None: not sure to see them all, so it may matter
            found = self._sys_path_candidates(raw, path)
            if found is None:
                return True
            additions = [d for d in found if os.path.isdir(d)]
        return _may_matter(os.path.abspath(path), raw, self.depth - 1, set(), self._passes,
                           additions)

    def _sys_path_candidates(self, raw: bytes, path: str) -> list[str] | None:
        """``sys_path_candidates_ast``, kept by content hash and path in ``sys_path_memo``
        (the result cache's, when the run has one: the ``ast`` of a large file costs
        ~7 ms, issue 18 §3)."""
        key = f"{content_hash(raw)}:{os.path.abspath(path)}"
        memo = self.sys_path_memo
        if key in memo:
            return memo[key]
        if len(memo) >= 20_000:  # (a long-running process) a memo only
            memo.clear()
        found = memo[key] = sys_path_candidates_ast(raw, path)
        return found

    def finished(self, path: str, ctx: "Context") -> None:
        """A linted file's model is built: keep its dependencies for the cache:
        ``{"hashes": {file: content hash}, "fingerprints": {file: [fingerprint,
        names taken from it]}, "missing": [files an import looked for]}``."""
        fps = {}
        for file, names in (ctx.all_names() if self.fingerprints else {}).items():
            fp = self.fingerprint(file, names)
            if fp is not None:
                fps[file] = [fp, sorted(names)]
        self.last_deps[os.path.abspath(path)] = {
            "hashes": dict(ctx.deps), "fingerprints": fps, "missing": sorted(ctx.all_missing())}

    def table(self, p: _Parsed) -> fp_mod.Table | None:
        """The fingerprint table of a module read (memo by content hash), or None."""
        from bflint.project import fingerprint as fp_mod  # start-up: only when a module was read

        if p.digest is None or p.text is None:
            return None
        if p.digest not in self._tables:
            if len(self._tables) >= MAX_MEMO:
                self._tables.clear()
            self._tables[p.digest] = fp_mod.table(p.text)
        return self._tables[p.digest]

    def fingerprint(self, path: str, names) -> str | None:
        """The summary fingerprint of ``names`` of the module at ``path``
        (:mod:`bflint.project.fingerprint`), or None."""
        table = self.table(self.parsed(path, parse=False))
        return table.fingerprint(names) if table is not None else None


class Context:
    """Project imports of one file being modelled: resolution, the values its
    imports bring in, the modules read and their hashes (the cache's
    dependencies)."""

    def __init__(self, index: ProjectIndex, path: str, module, depth: int):
        self.index = index
        self.path = os.path.abspath(path)
        self.depth = depth
        self.resolver = Resolver(path, module)
        self.deps: dict[str, str] = {}          # abspath -> content hash (transitive)
        self.aliases: dict[str, str] = {}        # qualname of a module import -> its file
        self.models: dict[str, object] = {}      # file -> its summary (None: broken)
        self.foreign_functions: set[int] = set()
        self.adopted: list = []                  # summaries whose values the model uses
        self.names: dict[str, set[str]] = {}     # file -> the names taken from it
        self.partial: set[str] = set()           # files whose summary covers only some names
        self._plan: dict[str, frozenset[str] | None] | None = None

    # -- resolution ------------------------------------------------------------
    def planned(self, file: str) -> frozenset[str] | None:
        """The names this file's ``from ... import`` lines take from ``file`` (a
        cheap scan of its text), or None when not known (``import pkg.mod``, a
        star or a multi-line import): then the summary covers the whole module."""
        if self._plan is None:
            p = self.index._parsed.get(self.path)
            r = self.resolver
            seen_missing = set(r.missing)
            self._plan = _plan(p.text if p is not None else None, r)
            r.missing = seen_missing  # the builder's own lookups decide what was looked for
        return self._plan.get(os.path.abspath(file))

    def _summary(self, file: str, name: str | None = None):
        file = os.path.abspath(file)
        if file in self.models:
            if name is None or file not in self.partial or name in (self.planned(file) or ()):
                return self.models[file]
            # a name the scan did not see: the whole module after all
            self.partial.discard(file)
            m = self.models[file] = self.index.model(file, self.depth - 1)
            return m
        if self.depth <= 0 or len(self.models) >= MAX_MODULES:
            return None
        self.index.read.add(file)
        self.names.setdefault(file, set())
        planned = self.planned(file) if name is not None else None
        names = planned if planned is not None and name in planned else None
        m = self.index.model(file, self.depth - 1, names)
        if names is not None:
            self.partial.add(file)
        p = self.index.parsed(file, parse=False)
        if p.digest is not None:
            self.deps[file] = p.digest
        if m is not None:
            sub = getattr(m, "project", None)
            if sub is not None:
                self.deps.update(sub.deps)
        self.models[file] = m
        return m

    def _export(self, file: str, name: str):
        m = self._summary(file, name)
        if m is None:
            return None
        self.names.setdefault(os.path.abspath(file), set()).add(name)
        scope = getattr(m, "module_scope", None) or {}
        v = scope.get(name)
        from bflint.semantic.values import ClassObj  # start-up: reached only once a module is modelled

        # a class of that module too (``simulator = DDM()`` with ``DDM.sample`` there)
        if v is None or (v.kind not in _EXPORTED and not _numeric_constant(v)
                         and not isinstance(v, ClassObj)):
            return None
        if m not in self.adopted:
            self.adopted.append(m)
        info = getattr(v, "info", None)
        if info is not None:
            self.foreign_functions.add(id(info))
        return v

    def from_import(self, level: int, module: str, name: str, qual: str):
        """``from <level dots><module> import name`` (``qual`` the import's qualname):
        the project value it binds, or None (then, when ``name`` is a project
        submodule, ``qual`` is remembered as that module)."""
        r = self.resolver
        file = r.relative(level, module) if level else r.absolute(module)
        if file is not None:
            v = self._export(file, name)
            if v is not None:
                return v
        dotted = f"{module}.{name}" if module else name
        sub = r.relative(level, dotted) if level else r.absolute(dotted)
        if sub is not None:
            self.aliases[qual] = sub
            self._summary(sub)
        return None

    def star_import(self, level: int, module: str) -> list[tuple[str, object]]:
        """``from <level dots><module> import *``: (name, project value) of each public name
        of that module (its literal ``__all__``, else every name without a leading
        underscore) that its summary knows."""
        r = self.resolver
        file = r.relative(level, module) if level else r.absolute(module)
        if file is None:
            return []
        m = self._summary(file)
        scope = getattr(m, "module_scope", None) if m is not None else None
        if not scope:
            return []
        names = [n for n in scope if not n.startswith("_")]
        listed = scope.get("__all__")
        if listed is not None and m is not None:
            found = m.strings(listed.node) if listed.kind == "literal" else None
            if found is not None:
                names = [n for n in found if n in scope]
        out = []
        for name in names:
            v = self._export(file, name)
            if v is not None:
                out.append((name, v))
        return out

    def import_module(self, dotted: str, qual: str) -> None:
        """``import pkg.mod [as m]``: remember the module (its attributes resolve later)."""
        file = self.resolver.absolute(dotted)
        if file is not None:
            self.aliases[qual] = file
            self._summary(file)
            # ``import pkg.mod`` binds ``pkg``: its attribute ``mod`` is the module
            parts = dotted.split(".")
            for k in range(1, len(parts)):
                f = self.resolver.absolute(".".join(parts[:k]))
                if f is not None:
                    self.aliases.setdefault(".".join(parts[:k]), f)

    def attribute(self, qual: str, attr: str):
        """``<module import qual>.attr``: the project value, or None."""
        file = self.aliases.get(qual)
        if file is None:
            if qual.startswith(".") or qual.split(".")[0] in ("bayesflow",):
                return None
            file = self.resolver.absolute(qual) if qual.split(".")[0] in self.roots() else None
            if file is None:
                return None
            self.aliases[qual] = file
        v = self._export(file, attr)
        if v is not None:
            return v
        if os.path.basename(file) == "__init__.py":
            sub = os.path.join(os.path.dirname(file), attr)
            for cand in (sub + ".py", os.path.join(sub, "__init__.py")):
                if os.path.isfile(cand):
                    self.aliases[f"{qual}.{attr}"] = cand
                    self._summary(cand)
                    break
                self.resolver.missing.add(cand)
        return None

    def _subcontexts(self):
        for m in self.models.values():
            sub = getattr(m, "project", None)
            if sub is not None:
                yield sub

    def all_names(self) -> dict[str, set[str]]:
        """file -> names taken from it, by this file and (within the depth) its imports."""
        out = {f: set(n) for f, n in self.names.items()}
        for sub in self._subcontexts():
            for f, n in sub.all_names().items():
                out.setdefault(f, set()).update(n)
        return out

    def all_missing(self) -> set[str]:
        """Files the imports looked for and did not find (this file's and, within
        the depth, its imports')."""
        out = set(self.resolver.missing) if self.depth > 0 else set()
        for sub in self._subcontexts():
            out |= sub.all_missing()
        return out

    def roots(self) -> set[str]:
        return {q.split(".")[0] for q in self.aliases}

    @property
    def modules_read(self) -> int:
        return len(self.models)


def _statements(module, kept: set[int], count: int):
    """``module`` with only the top-level statements whose ``ast`` statements
    (``count`` of them, in order: a LibCST line ``a = 1; b = 2`` holds two) are
    ``kept``; the same node objects. None when the two parsers disagree."""
    import libcst as cst  # start-up: reached only once a project module was parsed

    body, k = [], 0
    for st in module.body:
        n = len(st.body) if isinstance(st, cst.SimpleStatementLine) else 1
        if any(i in kept for i in range(k, k + n)):
            body.append(st)
        k += n
    if k != count:
        return None
    return module.with_changes(body=body)


def _plan(text: str | None, r: Resolver) -> dict[str, frozenset[str] | None]:
    """file -> the names ``from ... import`` lines of ``text`` take from it (None:
    not known, e.g. a multi-line import), by a cheap scan of the text."""
    plan: dict[str, frozenset[str] | None] = {}
    for m in _import_lines(text.encode("utf-8", "surrogatepass") if text else b""):
        if m.group(4) is not None:
            continue
        level, module, raw = len(m.group(1)), m.group(2).decode("ascii", "ignore"), m.group(3)
        f = r.relative(level, module) if level else r.absolute(module)
        if f is None:
            continue
        f = os.path.abspath(f)
        complete = not (b"(" in raw and b")" not in raw) and not raw.rstrip().endswith(b"\\")
        names = frozenset(n.strip().split()[0].decode("ascii", "ignore")
                          for n in raw.replace(b"(", b"").replace(b")", b"").split(b",")
                          if n.strip())
        before = plan.get(f, frozenset())
        plan[f] = before | names if complete and before is not None else None
    return plan


# -- the pre-filter's view ----------------------------------------------------

_IMPORT_LINE = re.compile(rb"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+([\w., \t()]+)"
                          rb"|import[ \t]+([\w., \t]+))", re.MULTILINE)


def _import_lines(raw: bytes):
    """``_IMPORT_LINE.finditer(raw)``'s matches, found faster: every match holds
    ``import`` and lies on one line, so only lines holding it are tried, from
    their start (issue 18 §3: the regex tried at every line of every file was
    most of a run over the standard library)."""
    find, match = raw.find, _IMPORT_LINE.match
    i = find(b"import")
    while i >= 0:
        start = raw.rfind(b"\n", 0, i) + 1
        end = raw.find(b"\n", i)
        if end < 0:
            end = len(raw)
        m = match(raw, start)
        if m is not None:
            yield m
        i = find(b"import", end)


def _imported(raw: bytes) -> list[tuple[int, str, list[str]]]:
    """(level, module, names) of the import lines of a source (a cheap scan)."""
    out: list[tuple[int, str, list[str]]] = []
    for m in _import_lines(raw):
        if m.group(4) is not None:
            for part in m.group(4).split(b","):
                name = part.strip().split()[0] if part.strip() else b""
                if name:
                    out.append((0, name.decode("ascii", "ignore"), []))
        else:
            names = [n.strip().split()[0].decode("ascii", "ignore")
                     for n in m.group(3).replace(b"(", b"").replace(b")", b"").split(b",")
                     if n.strip()]
            out.append((len(m.group(1)), m.group(2).decode("ascii", "ignore"), names))
    return out


# ``sys.path.append(`` / ``.insert(``, however spaced, parenthesised or continued
_SEP = rb"(?:\s|\\|\)|#[^\r\n]*)*"
_SYS_PATH_EDIT = re.compile(rb"sys" + _SEP + rb"\." + _SEP + rb"path" + _SEP + rb"\." + _SEP
                            + rb"(?:append|insert)\b")


def _candidates(r: Resolver, level: int, dotted: str) -> list[str]:
    """The files an import may resolve to: the resolver's, and for an absolute import
    the module in each of its folders (the analysis' resolver, with the folders LibCST
    finds in sys.path edits, may take another one first). The absolute lookups are
    memoised by folders and name (resolve.FOUND: a folder's files import alike)."""
    if level:
        f = r.relative(level, dotted)
        return [f] if f is not None else []
    key = (r.dirs_key, dotted)
    out = FOUND.get(key)
    if out is None:
        out = []
        if dotted and dotted.split(".")[0] not in LIBRARIES:
            for d in r.dirs:
                for f in _module_files(d, dotted):
                    out.append((f, os.path.abspath(f)))
        if len(FOUND) >= 65536:  # a long-running process
            FOUND.clear()
        FOUND[key] = out
    return [f for f, absolute in out if absolute != r.path]


def _listing(folder: str) -> dict[str, list[tuple[str, bool]]]:
    """The names in ``folder`` by their lower case: [(name, whether a directory)]
    (one ``scandir`` per folder and run instead of two ``stat`` per lookup)."""
    got = LISTINGS.get(folder)
    if got is None:
        got = {}
        try:
            with os.scandir(folder) as it:
                for e in it:
                    try:
                        is_dir = e.is_dir()
                    except OSError:
                        is_dir = False
                    got.setdefault(e.name.lower(), []).append((e.name, is_dir))
        except OSError:
            pass
        if len(LISTINGS) >= 16384:  # a long-running process
            LISTINGS.clear()
        LISTINGS[folder] = got
    return got


def _module_files(folder: str, dotted: str) -> list[str]:
    """The files module ``dotted`` may be in ``folder``: every ``<parts>.py`` and
    ``<parts>/__init__.py`` whatever the case of the names (a superset of
    resolve._module_file's, which asks the file system for one spelling)."""
    parts = dotted.split(".")
    if not all(parts):
        found = _module_file(folder, dotted)
        return [found] if found is not None else []
    folders = [folder]
    for part in parts[:-1]:
        key = part.lower()
        folders = [os.path.join(f, n) for f in folders for n, is_dir in _listing(f).get(key, ())
                   if is_dir]
    last = parts[-1].lower()
    out = []
    for f in folders:
        names = _listing(f)
        out += [os.path.join(f, n) for n, is_dir in names.get(last + ".py", ()) if not is_dir]
        for n, is_dir in names.get(last, ()):
            if is_dir:
                sub = os.path.join(f, n)
                out += [os.path.join(sub, m) for m, d in _listing(sub).get("__init__.py", ()) if not d]
    return out


def _may_matter(path: str, raw: bytes, depth: int, seen: set, passes: dict[str, bool],
                additions: list[str] | None = None) -> bool:
    """``passes``: path -> whether that module passes the text pre-filter (one read
    per module and run: a tree's files import the same modules)."""
    if depth < 0:
        return False
    r = Resolver(path, None, additions)
    for level, module, names in _imported(raw):
        cands = _candidates(r, level, module)
        for n in names:
            cands += _candidates(r, level, f"{module}.{n}" if module else n)
        for f in cands:
            if f in seen:
                continue
            seen.add(f)
            ok = passes.get(f)
            if ok is None or (not ok and depth > 0):
                try:
                    data = read_source(f)
                except OSError:
                    continue
                ok = passes[f] = may_need_analysis(data)
                if not ok and _may_matter(f, data, depth - 1, seen, passes):
                    return True
            if ok:
                return True
    return False
