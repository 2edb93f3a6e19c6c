"""The per-file pipeline: pre-filter -> decode -> parse -> semantic model ->
rules -> positions (only for reported nodes) -> suppression."""

from __future__ import annotations

import bisect
import gc
from collections.abc import Iterable

from bflint import chunked, edits, registry, selection, suppression
from bflint.finding import Finding
from bflint.source import (  # noqa: F401  (re-exported: callers still use engine.decode etc.)
    INTERNAL_ERROR,
    IO_ERROR,
    MAX_SOURCE_BYTES,
    PARSE_ERROR,
    DecodeError,
    decode,
    line_starts,
    may_need_analysis,
    nesting_guard,
    physical_lines,
    read_source,
    run_deep,
)


def _enabled(select=None, ignore=(), extend_select=()) -> frozenset[str]:
    codes = list(registry.rule_codes())
    chosen = selection.resolve(codes, select, ignore, extend_select)
    return selection.with_always(chosen, codes, ignore)


def _meta(code: str) -> tuple[str, str]:
    rule = registry.rules_by_code().get(code)
    return (rule.NAME, rule.SEVERITY) if rule else (code.lower(), "E")


def make_finding(code: str, message: str, filename: str, row: int, column: int,
                 end_row: int | None = None, end_column: int | None = None,
                 severity: str | None = None) -> Finding:
    name, sev = _meta(code)
    return Finding(code, name, severity or sev, message, filename, row, column,
                   end_row if end_row is not None else row,
                   end_column if end_column is not None else column)


def internal_error(exc: BaseException, filename: str, show_traceback: bool = False) -> Finding:
    """The BF999 finding for an exception raised while checking a file."""
    import traceback  # start-up: only an internal error needs it (with textwrap: ~2 ms)

    detail = "".join(traceback.format_exception(exc)) if show_traceback else ""
    msg = (f"internal error while checking this file: {type(exc).__name__}: {exc}. "
           "Please report it with the file (run with --show-traceback for details)")
    if detail:
        msg += "\n" + detail
    return make_finding(INTERNAL_ERROR, msg, filename, 1, 1)


def syntax_error_at(lines: list[str], exc) -> tuple[int, int, str]:
    """CPython's location and message when it agrees that the code is
    invalid (LibCST's positions are often a line late), else LibCST's."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():  # no SyntaxWarning on stderr
            warnings.simplefilter("ignore")
            compile("\n".join(lines) + "\n", "<source>", "exec",
                    flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as err:
        if err.lineno:
            return err.lineno, err.offset or 1, err.msg
    except (ValueError, RecursionError, MemoryError):
        pass
    return exc.raw_line, exc.raw_column + 1, exc.message



def parse_without_gc(parse, text: str):
    """``parse(text)`` with the cyclic garbage collector paused: LibCST's
    parse allocates millions of objects, and the collections they trigger
    grow from ~100 to ~150 us/line on large files (issue 18 §3). The tree is
    freed by reference counting; the collector resumes right after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return parse(text)
    finally:
        if was_enabled:
            gc.enable()


def parse_module(text: str):
    """``libcst.parse_module(text)`` with the collector paused; a large text
    is parsed in pieces (:mod:`bflint.chunked`: the same tree, at a cost per
    line that does not grow with the file)."""
    import libcst as cst  # start-up: only files that pass the pre-filter load LibCST

    return parse_without_gc(lambda t: chunked.parse_in_pieces(cst.parse_module, t)
                            or cst.parse_module(t), text)


def check_text(text: str, filename: str, enabled: frozenset[str],
               show_traceback: bool = False, project=None, digest: str | None = None,
               document=None) -> list[Finding]:
    """Analyse decoded source. Never raises for bad input. ``project``: a
    :class:`bflint.project.index.ProjectIndex` (imports of the project's own
    modules are followed; ``digest`` is the hash of the file's bytes).
    ``document``: an object with ``parse(text)`` and ``positions(module,
    nodes)`` that replaces the full parse and the positions pass (the
    language server's :class:`bflint.server.incremental.Document`: the
    same tree and positions, reusing the previous text's)."""
    # The collector stays paused for the whole analysis, not only the parse:
    # with a large tree alive every collection walks it, which made the model
    # and the rules grow faster than the file (issue 18 §1). What the analysis
    # leaves in cycles is collected once the collector resumes.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_text(text, filename, enabled, show_traceback, project, digest, document)
    finally:
        if was_enabled:
            gc.enable()


def _check_text(text: str, filename: str, enabled: frozenset[str], show_traceback: bool,
                project, digest: str | None, document) -> list[Finding]:
    import libcst as cst  # start-up: only files that pass the pre-filter load LibCST

    lines = physical_lines(text)
    file_level = suppression.file_suppressions(text)

    def keep(f: Finding) -> bool:
        return f.code in enabled and not suppression.is_suppressed(f.code, f.row, lines, file_level)

    import os

    if project is not None and (digest is None or not os.path.isfile(filename)):
        project = None
    try:
        module = project.known_parse(filename, digest) if project is not None else None
        if module is None:
            if document is not None:
                module = document.parse(text)
            else:
                module = parse_module(text)
            if project is not None:
                project.remember(filename, digest, text, module)
    except cst.ParserSyntaxError as exc:
        # LibCST's position can lie one line past the error (e.g. "expected
        # INDENT") or past the end of the file: CPython's, kept inside the file
        row, col, message = syntax_error_at(lines, exc)
        row = min(max(1, row), max(1, len(lines)))
        col = min(max(1, col), len(lines[row - 1]) + 1 if lines else 1)
        msg = f"SyntaxError: {message} (bflint checks only files that parse)"
        f = make_finding(PARSE_ERROR, msg, filename, row, col)
        return [f] if f.code in enabled and file_level is not suppression.ALL else []
    except cst.CSTValidationError as exc:  # parsed, but invalid, e.g. "a" b"b"
        f = make_finding(PARSE_ERROR, f"SyntaxError: {exc} (bflint checks only files that parse)",
                         filename, 1, 1)
        return [f] if f.code in enabled and file_level is not suppression.ALL else []
    except RecursionError:
        raise  # check_source retries on a thread with a deep stack

    # start-up: the model and the rules load LibCST's node classes; a run whose files all fail
    # the pre-filter never imports them (tests/test_runner.py checks it)
    from bflint.semantic.model import SemanticModel

    findings: list[Finding] = []
    reports = []
    try:
        ctx = project.context(filename, module) if project is not None else None
        model = SemanticModel(module, text, filename, project=ctx)
        if ctx is not None:
            project.finished(filename, ctx)
        for rule_cls in registry.all_rules():
            if rule_cls.CODE not in enabled:
                continue
            rule = rule_cls()
            for rep in rule.check(model):
                reports.append((rule_cls, rep))
    except RecursionError:
        raise  # check_source retries on a thread with a deep stack
    except Exception as exc:  # one file's failure never stops the run
        return [internal_error(exc, filename, show_traceback)]

    if reports:
        nodes = [rep.node for _, rep in reports if rep.node is not None]
        if any(rep.fix is not None for _, rep in reports):
            for _, rep in reports:
                if rep.fix is not None:
                    nodes.extend(edits.edit_nodes(rep.fix))
        positions = _positions(module, nodes, text, document)
        elsewhere = {}
        if model.project is not None:
            away = [rep for _, rep in reports if rep.position is None and rep.node is not None
                    and rep.node not in positions]
            if away:
                from bflint.project.locate import relocate  # start-up: rare (another module's cause)

                elsewhere = relocate(model, away,
                                     lambda m, ns, t=None: _positions(m, ns, t, document))
        for rule_cls, rep in reports:
            message, related, fix = rep.message, None, None
            if rep.position is not None:
                r, c, er, ec = rep.position
            elif rep.node is not None and rep.node in positions:
                r, c, er, ec = positions[rep.node]
            elif id(rep) in elsewhere:  # the cause is in another module of the project
                (r, c, er, ec), message, related = elsewhere[id(rep)]
            else:
                r, c, er, ec = 1, 1, 1, 1
            if rep.fix is not None and related is None:
                fix = edits.to_json(rep.fix, positions)
            findings.append(Finding(rule_cls.CODE, rule_cls.NAME, rep.severity or rule_cls.SEVERITY,
                                    message, filename, r, c, er, ec, fix=fix, help=rep.help,
                                    related=related))
    out, seen = [], set()
    for f in sorted(findings, key=Finding.sort_key):
        key = (f.code, f.row, f.column, f.message)
        if key in seen or not keep(f):
            continue
        seen.add(key)
        out.append(f)
    return out


def _positions(module, nodes, text: str | None = None, document=None) -> dict:
    """1-based (row, col, end_row, end_col) of the reported nodes only
    (``PositionProvider``'s ranges at a fraction of its cost)."""
    from bflint.positions import positions  # start-up: positions loads LibCST's metadata machinery

    try:
        if document is not None:
            return document.positions(module, nodes)
        return positions(module, nodes)
    except RecursionError:
        # Code generation of the whole module recurses once per nesting
        # level through generator context managers, which CPython 3.12 caps
        # at its fixed C recursion limit even on the deep stack (e.g. 1,500
        # implicitly concatenated string lines, as in pydoc_data/topics.py):
        # locate each reported node by its own code in the source instead.
        return _positions_by_search(module, nodes, text)


def _positions_by_search(module, nodes, text: str | None) -> dict:
    """Fallback positions: the first occurrence of each node's own code in
    the source (nodes not found are left out)."""
    if text is None:
        return {}
    starts = line_starts(text)

    def at(offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(starts, offset)
        return row, offset - starts[row - 1] + 1

    out = {}
    for n in nodes:
        try:
            code = module.code_for_node(n).strip()
        except Exception:  # RecursionError included: leave the node out
            continue
        i = text.find(code) if code else -1
        if i >= 0:
            out[n] = (*at(i), *at(i + len(code)))
    return out


def check_source(source: str | bytes, filename: str, enabled: frozenset[str], *,
                 prefilter: bool = True, show_traceback: bool = False,
                 project=None, document=None) -> list[Finding]:
    """One file's findings. ``project``: a :class:`bflint.project.index.ProjectIndex`
    to follow the imports of the project's own modules (``filename`` must be the
    file's path); None: the file alone. ``document``: see :func:`check_text`."""
    digest = None
    if project is not None:
        from bflint.project.index import content_hash  # start-up: only project runs hash here

        raw = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
        digest = content_hash(raw)
        if prefilter and not may_need_analysis(source) and not project.may_matter(filename, raw):
            return []
        prefilter = False
    if prefilter and not may_need_analysis(source):
        return []
    if len(source) > MAX_SOURCE_BYTES:
        size = len(source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source)
        size = getattr(source, "full_size", size)  # read_source stops at the cap + 1 byte
        msg = (f"cannot check the file: it is {size / 2**20:.1f} MB and bflint checks files up to "
               f"{MAX_SOURCE_BYTES / 2**20:g} MB (a generated or data file? exclude it with --exclude)")
        f = make_finding(IO_ERROR, msg, filename, 1, 1)
        return [f] if f.code in enabled else []
    if isinstance(source, bytes):
        try:
            text = decode(source)
        except DecodeError as exc:
            f = make_finding(PARSE_ERROR, f"cannot read the source: {exc}", filename, 1, 1)
            return [f] if f.code in enabled else []
    else:
        text = source
    # a project module imported earlier in this run was measured already (issue 12)
    known = project.known_guard(digest) if project is not None else None
    if known is None and document is not None:  # the server: the unchanged statements' measures
        known = document.known_guard(text)
    deep, refusal = known if known is not None else nesting_guard(text)
    if refusal is not None:
        f = make_finding(PARSE_ERROR, refusal, filename, 1, 1)
        return [f] if f.code in enabled else []
    try:
        if deep:
            return run_deep(check_text, text, filename, enabled, show_traceback, project, digest,
                            document)
        return check_text(text, filename, enabled, show_traceback, project, digest, document)
    except RecursionError:
        try:
            if deep:
                raise
            return run_deep(check_text, text, filename, enabled, show_traceback, project, digest,
                            document)
        except RecursionError as exc:
            # the nesting guard passed: more likely unbounded recursion in bflint
            return [internal_error(exc, filename, show_traceback)]
        except Exception as exc:
            return [internal_error(exc, filename, show_traceback)]
    except Exception as exc:  # e.g. a rule's malformed report: still one finding
        return [internal_error(exc, filename, show_traceback)]


# -- the public API lives in bflint.api; these names stay for existing callers --

def lint_source(source: str | bytes, filename: str = "<stdin>", *,
                select: Iterable[str] | None = None, ignore: Iterable[str] = (),
                extend_select: Iterable[str] = (), prefilter: bool = True) -> list[Finding]:
    """Lint one source text; returns the findings sorted by position."""
    enabled = _enabled(select, ignore, extend_select)
    return check_source(source, filename, enabled, prefilter=prefilter)
