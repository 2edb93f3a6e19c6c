"""Running the engine over many files (the CLI's and ``lint_paths``' loop).

One place decides how files are checked: in order, in a process pool, with a
result cache. The CLI passes its options here unchanged."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bflint import bayesflow_api, engine, registry
from bflint import cache as cache_mod
from bflint import target as target_mod
from bflint.cache import content_hash
from bflint.discovery import discover
from bflint.finding import Finding
from bflint.source import read_source


@dataclasses.dataclass
class RunOptions:
    enabled: frozenset[str]
    exclude: Sequence[str] = ()
    prefilter: bool = True
    show_traceback: bool = False
    jobs: int | None = None          # None: all cores
    cache: bool = True
    cache_dir: str | None = None
    target: str | None = None        # BayesFlow series for every file; None: each file's pin
    project: bool = True             # follow imports of the project's own modules (issue 12)


def run(paths: Sequence[str], options: RunOptions) -> tuple[list[Finding], int]:
    """Check files and directories; returns (sorted findings, files checked)."""
    findings: list[Finding] = []
    files, missing = discover([Path(p) for p in paths], exclude=list(options.exclude))
    for p in missing:
        findings.append(engine.make_finding(engine.IO_ERROR, "no such file or directory", str(p), 1, 1))
    findings.extend(check_files(files, options))
    findings.sort(key=Finding.sort_key)
    return findings, len(files)


# -- many files: pre-filter, cache, process pool ----------------------------------

# A pool is started only when more files than this need the full analysis
# and they add up to enough source to pay for the workers' start (about
# 1 ms of analysis per kB; starting and feeding workers costs ~50 ms).
MIN_PARALLEL_FILES = 4
MIN_PARALLEL_BYTES = 64 * 1024
_CHUNKS_PER_WORKER = 6
# Bytes kept in memory between the pre-filter/cache pass and the analysis;
# files beyond it are read again when checked, so peak memory stays flat in
# the size of the tree (issue 18 §3: it grew by every byte that passed).
_KEEP_BYTES = 8 * 1024 * 1024


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def cap_jobs(requested: int | None) -> tuple[int | None, str | None]:
    """``requested`` capped at the cores this process may use (ruff's
    behaviour: ``-j 99999`` must not start one process per file), with the
    note to print when it was capped."""
    cores = default_jobs()
    if requested is None or requested <= cores:
        return requested, None
    return cores, (f"bflint: --jobs {requested} is more than the {cores} available CPU"
                   f"{'s' if cores != 1 else ''}; using {cores}")


@dataclasses.dataclass(frozen=True)
class _Task:
    index: int
    path: str
    name: str
    enabled: frozenset[str]
    prefilter: bool
    show_traceback: bool
    size: int = 0
    selection: str = ""  # the cache's key of ``enabled`` (and of the target)
    target: str | None = None  # the BayesFlow series the file is judged against
    project: bool = False


_INDEX = None  # this process's ProjectIndex (kept across runs: keyed by content)


def project_index():
    """The process's :class:`bflint.project.index.ProjectIndex` (created on first use)."""
    global _INDEX
    if _INDEX is None:
        # start-up: a run that reads no project module never loads the project package
        from bflint.project.index import ProjectIndex

        _INDEX = ProjectIndex(parse=_parse_module)
    return _INDEX


# a project module's parse: the linted files' (large texts in pieces, the collector paused)
_parse_module = engine.parse_module


def modules_read() -> int:
    """Project modules read through imports since the last run started (the statistics line)."""
    return len(_INDEX.read) if _INDEX is not None else 0


def check_data(data: bytes, name: str, enabled: frozenset[str], *, notebook: bool = False,
               prefilter: bool = True, show_traceback: bool = False,
               project: bool = False) -> list[Finding]:
    """Check one file's bytes (a script or a notebook). ``project``: follow the
    imports of the project's own modules (``name`` is the file's path)."""
    if notebook:
        from bflint import notebook as nb  # start-up: only notebooks load the notebook reader

        return nb.check_notebook(data, name, enabled, prefilter=prefilter,
                                 show_traceback=show_traceback,
                                 project=project_index() if project else None)
    return engine.check_source(data, name, enabled, prefilter=prefilter,
                               show_traceback=show_traceback,
                               project=project_index() if project else None)


def check_path(path: Path, enabled: frozenset[str], *, display: str | None = None,
               prefilter: bool = True, show_traceback: bool = False,
               project: bool = True) -> list[Finding]:
    """Check one file (script or notebook, by its suffix), reading it once."""
    name = display or str(path)
    try:
        data = read_source(path)
    except OSError as exc:
        return _io_error(exc, name, enabled)
    return check_data(data, name, enabled, notebook=path.suffix == ".ipynb", prefilter=prefilter,
                      show_traceback=show_traceback, project=project and display is None)


def _io_error(exc: OSError, name: str, enabled: frozenset[str]) -> list[Finding]:
    reason = exc.strerror or type(exc).__name__
    f = engine.make_finding(engine.IO_ERROR, f"cannot read the file: {reason}", name, 1, 1)
    return [f] if f.code in enabled else []


def _check_task(task: _Task, data: bytes | None = None):
    """Check one file: (index, content hash or None, findings). In a worker
    the file is read again (no IPC for contents); in-process the parent's
    bytes are reused. The hash is of what was analysed, so the cache never
    pairs old findings with new bytes."""

    if data is None:
        try:
            data = read_source(task.path)
        except OSError as exc:
            return task.index, None, _io_error(exc, task.name, task.enabled), None
    try:
        with bayesflow_api.use_target(task.target):
            found = check_data(data, task.name, task.enabled, notebook=task.path.endswith(".ipynb"),
                               prefilter=task.prefilter, show_traceback=task.show_traceback,
                               project=task.project)
    except Exception as exc:  # check_source never raises; be safe anyway
        return task.index, None, [_internal(task, f"{type(exc).__name__}: {exc}")], None
    deps = None
    if task.project and _INDEX is not None:
        deps = _INDEX.last_deps.pop(os.path.abspath(task.path), None)
    return task.index, content_hash(data), found, deps


def _check_chunk(tasks: list[_Task]) -> list[tuple]:
    """The worker's job: a chunk of files (results with the modules read, for the
    statistics line)."""
    before = dict(_INDEX.parses + _INDEX.partial_parses) if _INDEX is not None else {}
    if any(t.project for t in tasks):
        project_index().prepare([t.path for t in tasks], fingerprints=any(t.selection for t in tasks))
    out = [_check_task(t) for t in tasks]
    if _INDEX is not None and out:
        both = _INDEX.parses + _INDEX.partial_parses
        parses = {p: n - before.get(p, 0) for p, n in both.items() if n > before.get(p, 0)}
        out[-1] = (*out[-1][:4], sorted(_INDEX.read), parses)
    return out


def _internal(task: _Task, why: str) -> Finding:
    return engine.make_finding(
        engine.INTERNAL_ERROR,
        f"internal error while checking this file: {why}. Please report it with the file",
        task.name, 1, 1)


def _may_matter(name: str, data: bytes, cache) -> bool:
    """``ProjectIndex.may_matter`` of a file that fails the text pre-filter; the folders
    such files add to ``sys.path`` (their ``ast``) are kept in the result cache."""
    index = project_index()
    if cache is not None:
        index.sys_path_memo = cache.sys_paths
    return index.may_matter(name, data)


def check_files(files: Sequence[Path], options: RunOptions) -> list[Finding]:
    """Findings of ``files`` in file order. Files that fail the byte
    pre-filter are read once and dropped here (never parsed, no IPC); cached
    results are reused; the rest is checked in-process or, when there are
    more than a handful, in a process pool."""
    if options.project and _INDEX is not None:
        _INDEX.read.clear()  # the statistics line counts this run's modules
        _INDEX.new_run()     # files may have appeared since the last run in this process
    cache = None
    if options.cache:
        settings = {"prefilter": options.prefilter}
        if not options.project:
            settings["project"] = False
        cache = cache_mod.Cache.open(options.cache_dir, **settings)
    results: list[list[Finding]] = [[] for _ in files]
    todo: list[_Task] = []
    contents: dict[int, bytes] = {}
    kept = 0
    selections: dict[frozenset[str], str] = {}
    for i, path in enumerate(files):
        name = str(path)
        enabled = options.enabled
        try:
            data = read_source(path)
        except OSError as exc:
            results[i] = _io_error(exc, name, enabled)
            continue
        if options.prefilter and not engine.may_need_analysis(data) and not (
                options.project and _may_matter(name, data, cache)):
            continue
        series = target_mod.for_file(path, options.target)  # issue 13 §5
        sel = ""
        if cache is not None:
            sel = selections.get(enabled) or selections.setdefault(
                enabled, cache_mod.selection_key(enabled))
            sel = f"{sel}@{series}"
            hit = cache.get(path, name, cache_mod.content_hash(data), sel)
            if hit is not None:
                results[i] = hit
                continue
        todo.append(_Task(i, name, name, enabled, options.prefilter, options.show_traceback,
                          len(data), sel, series, options.project))
        if kept + len(data) <= _KEEP_BYTES:
            contents[i] = data
            kept += len(data)
        del data

    jobs = cap_jobs(options.jobs)[0] or default_jobs()
    if (jobs > 1 and len(todo) > MIN_PARALLEL_FILES
            and sum(t.size for t in todo) >= MIN_PARALLEL_BYTES):
        contents.clear()  # workers read their own files
        done: Iterable[tuple] = _run_pool(todo, jobs)
    else:
        if options.project and todo:  # these files' own parses serve as their summaries
            project_index().prepare([t.path for t in todo], fingerprints=cache is not None)
        done = (_check_task(t, contents.pop(t.index, None)) for t in todo)
    selection_of = {t.index: t.selection for t in todo}
    for index, digest, found, deps, *read in done:
        results[index] = found
        if read and options.project:  # a worker's project modules and parses
            project = project_index()
            project.read.update(read[0])
            project.pool_parses.update(read[1])
        if cache is not None and digest is not None:
            cache.put(files[index], str(files[index]), digest, selection_of[index], found, deps)
    if cache is not None:
        cache.save()
    out: list[Finding] = []
    for found in results:
        out.extend(found)
    return out


def _local_chunks(tasks: list[_Task], jobs: int) -> list[list[_Task]]:
    """Project runs (issue 12): one chunk per worker, each a contiguous run of the
    files in discovery order (a folder's files together), balanced by size. A
    worker keeps the modules it parsed for the whole chunk, and files of one
    folder import each other: a worker's files mostly import files it checks
    itself, so far fewer modules are parsed in two workers than with chunks
    of files from everywhere (50-module bench: 13 instead of ~25 per worker)."""
    ordered = sorted(tasks, key=lambda t: t.index)
    total = sum(t.size for t in ordered) or 1
    chunks: list[list[_Task]] = [[] for _ in range(jobs)]
    done = 0
    for t in ordered:
        k = min(jobs - 1, done * jobs // total)
        chunks[k].append(t)
        done += t.size
    return [c for c in chunks if c]


def _chunks(tasks: list[_Task], jobs: int) -> list[list[_Task]]:
    """Largest files first, small ones bundled: balanced chunks."""
    ordered = sorted(tasks, key=lambda t: (-t.size, t.index))
    target = max(1, sum(t.size for t in tasks) // (jobs * _CHUNKS_PER_WORKER))
    chunks: list[list[_Task]] = []
    current: list[_Task] = []
    weight = 0
    for t in ordered:
        current.append(t)
        weight += t.size
        if weight >= target:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


def _pool_context():
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    # fork: workers inherit the imported engine (no re-import); only on
    # Linux and only from a single-threaded process (``lint_paths`` may be
    # called from a threaded program: then None, check in-process; the
    # forkserver would re-import an unguarded __main__). Elsewhere the
    # platform's default.
    if sys.platform.startswith("linux") and "fork" in methods:
        if threading.active_count() == 1 and _native_threads() <= 1:
            return multiprocessing.get_context("fork")
        if threading.active_count() == 1 and "spawn" in methods:
            # native threads (JAX, BLAS pools) that ``threading`` cannot see:
            # forking could deadlock the child, spawning cannot
            return multiprocessing.get_context("spawn")
        return None
    return multiprocessing.get_context()


def _native_threads() -> int:
    """OS threads of this process (Linux), including those started by
    native libraries; 1 when it cannot be told."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _preload() -> None:
    """Import the analysis modules before forking workers."""
    # start-up: what a worker needs is loaded once, in the parent, only when a pool is started
    import libcst  # noqa: F401

    from bflint.semantic import model  # noqa: F401

    registry.all_rules()


def _settle_threads(timeout: float = 2.0) -> None:
    """A broken pool's queue threads may outlive it briefly: let them end
    before forking the next workers (forking a multi-threaded process is
    unsafe)."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    for t in threading.enumerate():
        if t is not threading.current_thread() and t.daemon:
            t.join(max(0.0, deadline - time.monotonic()))


def _probe() -> int:
    return os.getpid()


def _workers_start(ctx) -> bool:
    """Whether a fresh worker process can run a trivial task."""
    from concurrent.futures import ProcessPoolExecutor

    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            pool.submit(_probe).result(timeout=60)
        return True
    except Exception:
        return False


def _run_pool(tasks: list[_Task], jobs: int) -> list[tuple]:
    """Check ``tasks`` in worker processes. A worker that dies (crash, OOM
    kill) loses nothing but its own file: unfinished files are retried one
    by one, then in isolation; a file that still kills its worker gets a
    BF999 finding."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    results: list[tuple] = []
    try:
        ctx = _pool_context()
        if ctx is None:
            return [_check_task(t) for t in tasks]
        if ctx.get_start_method() == "fork":
            _preload()
    except Exception:
        return [_check_task(t) for t in tasks]

    def attempt(chunks: list[list[_Task]], workers: int) -> list[_Task]:
        """Run chunks in one pool; return the tasks whose worker died."""
        failed: list[_Task] = []
        try:
            pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(chunks))),
                                       mp_context=ctx)
        except Exception:  # no process support here: check in-process
            for chunk in chunks:
                results.extend(_check_chunk(chunk))
            return []
        try:
            futures = {}
            for i, c in enumerate(chunks):
                try:
                    futures[pool.submit(_check_chunk, c)] = c
                except BrokenProcessPool:  # a worker died while we were still submitting
                    for rest in chunks[i:]:
                        failed.extend(rest)
                    break
            from concurrent.futures import as_completed

            for fut in as_completed(futures):
                try:
                    results.extend(fut.result())
                except BrokenProcessPool:
                    failed.extend(futures[fut])
                except Exception as exc:  # e.g. a result that cannot be pickled
                    results.extend((t.index, None, [_internal(t, f"{type(exc).__name__}: {exc}")],
                                    None) for t in futures[fut])
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if failed:
            _settle_threads()
        return failed

    local = any(t.project for t in tasks)
    failed = attempt(_local_chunks(tasks, jobs) if local else _chunks(tasks, jobs), jobs)
    # A worker died: every unfinished chunk failed with it. Re-run those
    # files in order in one worker, one file per task: when it dies again,
    # the first unfinished file is the culprit; the rest go to a new worker.
    pending = sorted(failed, key=lambda t: t.index)
    if pending and not _workers_start(ctx):
        # no worker can even start (e.g. a spawned worker re-running an
        # unguarded __main__): nothing crashed, check the files here
        results.extend(_check_task(t) for t in pending)
        return results
    while pending:
        order = {t.index: i for i, t in enumerate(pending)}
        failed = attempt([[t] for t in pending], 1)
        if not failed:
            break
        failed.sort(key=lambda t: order[t.index])
        culprit, pending = failed[0], failed[1:]
        results.append((culprit.index, None, [_internal(
            culprit, "the worker process checking this file died (crash or out of memory)")],
            None))
    return results
