"""bflint's benchmark: one command, one table, PASS/FAIL against the targets.

    python bench/bench.py                 # default corpus (300 files), 3 runs each
    python bench/bench.py --files 0       # the whole standard library (slow)
    python bench/bench.py --runs 5 --files 150 --rules   # + per-rule times

What is measured (medians of ``--runs`` runs, each in a fresh process):

1. floor      bare ``libcst.parse_module`` over the BayesFlow corpus, one core
2. serial     bflint's full analysis of the same files, one process (target <= 2x floor)
3. parallel   the same with all cores (target: speed-up >= 0.9 x cores, i.e. 1.8x on 2)
4. warm       a second run with the result cache (target <= 10% of serial)
5. non-BF repo  the whole CLI over the standard library as it is (nothing uses
                BayesFlow, so the pre-filter must keep every file unparsed; <= 0.3 s
                outside a git work tree, and 5' inside one with a ``.gitignore``:
                ``.gitignore`` files are read, git is never run)
6. one script `bflint <compliant example>` as a subprocess, Python start-up
              included, cache off (the edit-and-rerun case; <= 0.3 s)
7. memory     peak RSS of 2 and 3, and of 2 on a corpus twice as large (the same
              files twice, so the largest tree is the same): must stay flat (<= +10%)
8. warm CLI   whole process, Python start-up included: one script whose result is
              cached (<= 0.06 s), and a cached run over 100 corpus files against the
              same run cold (``--no-cache``; <= 5%)
9. editor     ``bflint server`` over stdio: a 500-line script (the examples, repeated)
              is opened, then edited one line at a time; the time from sending each
              ``didChange`` to receiving its diagnostics, debounce included (median
              <= 150 ms); then the same texts checked in this process, whole and the
              server's incremental way (wall and CPU time: the machine may be shared).
              Again with the script importing an adapter, a prior and a simulator from
              a project module next to it (the project analysis, issue 12, in the
              editor; the same target). ``--lsp-only`` runs this row alone.
10. size sweep one script (the examples, or ``--sweep-seed FILE``) repeated with every
              module-level name renamed per copy, 2k to 32k lines, each size in a fresh
              process: parse, model, rules, positions and the whole check; every doubling
              of the file costs at most 2.2x the check (``--sweep-only``).
11. real code the public BayesFlow projects of ``bench/corpus.toml``, rebuilt by
              ``bench/fetch_corpus.py`` in the bench's temporary folder (skipped with one
              line when no mirror has them): rows 1-4 again, the whole CLI with the
              notebooks, and ``ruff check --select ALL`` as an anchor when ruff is
              installed (``--real-only``).
12. project   a 50-module project (issue 12): project run against per-file run, one
              changed module with a warm cache (whole process), parses per file
              (``--project-only``).
13. pre-filter the text pre-filter over the standard library's bytes, in one process:
              ``any(token in data)`` (bflint's) against one alternation regex
              (CPU time; the substring test must not be slower).
              ``--startup-only`` runs 5-8 and 13 alone.

The BayesFlow corpus is built reproducibly: every non-test ``.py`` file of the
standard library (found with ``sysconfig``; ``--files N`` takes N of them
evenly spread over the sorted list) with ``import bayesflow as bf`` prepended,
so that every file takes the full analysis path, plus the project's fixtures
and examples (``.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = b"import bayesflow as bf\n"
SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "__pycache__"}


# -- corpus ----------------------------------------------------------------------

def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_sources() -> list[Path]:
    root = stdlib_dir()
    out = []
    for p in root.rglob("*.py"):
        if SKIP_DIRS & set(p.relative_to(root).parts[:-1]):
            continue
        out.append(p)
    return sorted(out, key=lambda p: p.relative_to(root).as_posix())


def pick(files: list[Path], n: int) -> list[Path]:
    if n <= 0 or n >= len(files):
        return files
    step = len(files) / n
    return [files[int(i * step)] for i in range(n)]


def build_corpus(dest: Path, n: int) -> Path:
    root = stdlib_dir()
    base = dest / "corpus"
    for src in pick(stdlib_sources(), n):
        data = src.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            data = b"\xef\xbb\xbf" + PREFIX + data[3:]
        else:
            data = PREFIX + data
        out = base / "stdlib" / src.relative_to(root)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    for folder in ("tests/fixtures", "examples"):
        src_root = ROOT / folder
        if not src_root.is_dir():
            continue
        for src in sorted(src_root.rglob("*.py")):
            out = base / "project" / folder / src.relative_to(src_root)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)
    return base


def double_corpus(base: Path, dest: Path) -> Path:
    big = dest / "corpus2x"
    shutil.copytree(base, big / "a")
    shutil.copytree(base, big / "b")
    return big


# -- measurements (each in a fresh process) ---------------------------------------

def _files(corpus: str) -> list[Path]:
    from bflint.discovery import discover

    files, _ = discover([Path(corpus)], suffixes=(".py",))
    return files


def measure(mode: str, corpus: str, jobs: int | None, cache_dir: str | None) -> dict:
    files = _files(corpus)
    n_findings = 0
    errors = 0
    if mode == "floor":
        import libcst

        t0, c0 = time.perf_counter(), time.process_time()
        for p in files:
            try:
                libcst.parse_module(p.read_bytes())
            except Exception:
                errors += 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    else:
        from bflint.engine import _enabled
        from bflint.runner import RunOptions, check_files

        enabled = _enabled()
        opts = RunOptions(enabled=enabled, jobs=jobs, cache=mode == "warm",
                          cache_dir=cache_dir)
        if mode == "warm":
            check_files(files, opts)  # fill the cache (not timed)
        t0, c0 = time.perf_counter(), time.process_time()
        found = check_files(files, opts)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        n_findings = len(found)
        errors = sum(1 for f in found if f.code in ("BF000", "BF999"))
    return {
        "files": len(files),
        "wall": wall,
        "cpu": cpu,
        "findings": n_findings,
        "errors": errors,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


ENV = dict(os.environ)


def bench_env(tmp: Path) -> None:
    """Subprocesses run as an installed bflint does: with byte-code caches
    (kept out of the source tree), whatever PYTHONDONTWRITEBYTECODE says here."""
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")


def _burn(n: int = 6_000_000) -> int:
    s = 0
    for i in range(n):
        s += i
    return s


def parallel_ceiling(cores: int) -> float:
    """The speed-up this machine offers right now to ``cores`` processes of
    pure Python CPU work (other users' processes lower it)."""
    import multiprocessing

    t0 = time.perf_counter()
    _burn()
    one = time.perf_counter() - t0
    with multiprocessing.get_context().Pool(cores) as pool:
        pool.map(_burn, [6_000_000] * cores)  # warm the workers
        t0 = time.perf_counter()
        pool.map(_burn, [6_000_000] * cores)
        many = time.perf_counter() - t0
    return cores * one / many


def run_measure(mode: str, corpus: Path, jobs: int | None = None,
                cache_dir: Path | None = None) -> dict:
    cmd = [sys.executable, __file__, "--_measure", mode, "--_corpus", str(corpus)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if cache_dir is not None:
        cmd += ["--_cache-dir", str(cache_dir)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=ENV)
    return json.loads(out.stdout.strip().splitlines()[-1])


def repeat(runs: int, fn) -> list[dict]:
    return [fn() for _ in range(runs)]


def med(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def bflint_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("bflint")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bflint"]


def time_cli(args: list[str], runs: int, cwd: Path) -> tuple[float, int]:
    wall, _, code = time_cli_cpu(args, runs, cwd)
    return wall, code


def time_cli_cpu(args: list[str], runs: int, cwd: Path) -> tuple[float, float, int]:
    """Medians of the wall time and of the CPU time (user + system) of ``bflint args``:
    on a shared machine the CPU time is what the run itself costs."""
    times, cpus, code = [], [], 0
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(bflint_cmd() + args, cwd=cwd, capture_output=True, env=ENV)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        code = proc.returncode
    return statistics.median(times), statistics.median(cpus), code


def _ms(wall: float, cpu: float) -> str:
    return f"{wall * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms)"


def compliant_script() -> Path:
    examples = sorted((ROOT / "examples").glob("*.py")) if (ROOT / "examples").is_dir() else []
    for p in examples:
        proc = subprocess.run(bflint_cmd() + ["--no-cache", str(p)], capture_output=True, env=ENV)
        if proc.returncode == 0:
            return p
    return ROOT / "tests" / "fixtures" / "clean" / "set_data_workflow.py"


# -- start-up, warm runs, the pre-filter (rows 5, 6, 8, 13; issue 18 sections 2-3) --------

def git_tree_copy(dest: Path) -> Path:
    """The standard library's ``.py`` files inside a git work tree with a
    ``.gitignore`` (row 5': bflint reads it, git is never run)."""
    root = dest / "gitstdlib"
    src = stdlib_dir()
    shutil.copytree(src, root / "lib", ignore=lambda d, names: [
        n for n in names if not n.endswith(".py") and not (Path(d) / n).is_dir()
        or n in ("__pycache__", "site-packages")])
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(root)], capture_output=True)
    (root / ".git").mkdir(exist_ok=True)
    (root / ".gitignore").write_text("build/\n*.egg-info/\n__pycache__/\n/lib/no-such-dir/\n")
    return root


def cli_rows(tmp: Path, corpus: Path, cli_runs: int, runs: int) -> list[tuple]:
    """5, 5', 6, 8a, 8b: whole processes (Python start-up included)."""
    cli_cwd = tmp / "cwd"
    cli_cwd.mkdir(exist_ok=True)
    std = stdlib_dir()
    n_std = sum(1 for _ in std.rglob("*.py"))
    subprocess.run(bflint_cmd() + [str(std)], cwd=cli_cwd, capture_output=True, env=ENV)
    nonbf, nonbf_cpu, nonbf_code = time_cli_cpu([str(std)], cli_runs, cli_cwd)
    gitstd = git_tree_copy(tmp)
    time_cli(["--no-cache", str(gitstd)], 1, cli_cwd)
    ingit, ingit_cpu, ingit_code = time_cli_cpu(["--no-cache", str(gitstd)], cli_runs, cli_cwd)
    script = compliant_script()
    time_cli(["--no-cache", str(script)], 1, cli_cwd)
    one, one_cpu, one_code = time_cli_cpu(["--no-cache", str(script)], cli_runs, cli_cwd)

    tree = tmp / "tree100"
    for i, src in enumerate(_files(str(corpus))[:100]):
        out = tree / f"m{i:03d}_{src.name}"
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, out)
    # 8a/8b as a user (and pre-commit) runs it: `bflint PATHS`, no option, the default cache
    # (.bflint_cache in the working folder); cold = that run with no cache folder yet
    warm_cwd = tmp / "warm-cwd"
    warm_cwd.mkdir(exist_ok=True)
    time_cli([str(script)], 1, warm_cwd)  # fills the cache
    one_warm, one_warm_cpu, one_warm_code = time_cli_cpu([str(script)], cli_runs, warm_cwd)
    tree_cwd = tmp / "tree-cwd"
    colds = []
    for _ in range(max(3, runs)):
        shutil.rmtree(tree_cwd, ignore_errors=True)
        tree_cwd.mkdir()
        colds.append(time_cli_cpu([str(tree)], 1, tree_cwd))
    tree_cold, cold_cpu = (statistics.median(c[i] for c in colds) for i in (0, 1))
    tree_warm, warm_cpu, _ = time_cli_cpu([str(tree)], cli_runs, tree_cwd)
    return [
        ("5 non-BayesFlow repo (stdlib), CLI, outside a git work tree", _ms(nonbf, nonbf_cpu),
         f"{n_std} files", "<= 0.3 s", nonbf <= 0.3 and nonbf_code == 0),
        ("5' the same .py files in a git work tree with a .gitignore, CLI", _ms(ingit, ingit_cpu),
         "git never run", "<= 0.3 s", ingit <= 0.3 and ingit_code == 0),
        (f"6 one script ({script.name}), CLI", _ms(one, one_cpu), "Python start-up incl.",
         "<= 0.3 s", one <= 0.3 and one_code == 0),
        (f"8a one cached script ({script.name}), CLI", _ms(one_warm, one_warm_cpu),
         "Python start-up incl.", "<= 0.06 s", one_warm <= 0.06 and one_warm_code == 0),
        ("8b cached 100-file tree vs cold, CLI", f"{tree_warm:.3f} / {tree_cold:.2f} s",
         f"{100 * tree_warm / tree_cold:.1f}% (CPU {100 * warm_cpu / cold_cpu:.1f}%)", "<= 5%",
         tree_warm / tree_cold <= 0.05),
    ]


def measure_prefilter() -> dict:
    """In one process: the pre-filter over every standard-library file's bytes,
    bflint's substring test against one alternation regex (best of 5, CPU time)."""
    import re

    from bflint.source import PREFILTER_TOKENS, may_need_analysis

    datas = [p.read_bytes() for p in stdlib_dir().rglob("*.py")]
    regex = re.compile(b"|".join(re.escape(t) for t in PREFILTER_TOKENS))
    best = {}
    for name, test in (("substring", may_need_analysis), ("regex", lambda d: regex.search(d) is not None)):
        times = []
        for _ in range(5):
            c0 = time.process_time()
            hits = sum(1 for d in datas if test(d))
            times.append(time.process_time() - c0)
        best[name] = min(times)
        best[name + "_hits"] = hits
    return {"files": len(datas), "mb": sum(map(len, datas)) / 1e6, **best}


def prefilter_row() -> tuple:
    out = subprocess.run([sys.executable, __file__, "--_prefilter"], capture_output=True, text=True,
                         check=True, env=ENV)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    same = r["substring_hits"] == r["regex_hits"]
    return (f"13 pre-filter over the stdlib bytes ({r['files']} files, {r['mb']:.0f} MB), 1 process",
            f"{r['substring'] * 1000:.0f} ms any(token in data) / {r['regex'] * 1000:.0f} ms regex",
            f"{r['substring'] / r['regex']:.2f}x; {r['substring_hits']} files pass"
            + ("" if same else f" (regex: {r['regex_hits']}: DIFFERENT)"),
            "<= 1x regex, same files", same and r["substring"] <= r["regex"])


def memory_rows(tmp: Path, corpus: Path) -> list[tuple]:
    """7a/7c without the timing loops (``--startup-only``): peak RSS of a serial
    run over the corpus and over the corpus twice."""
    big = double_corpus(corpus, tmp)
    one, two = run_measure("serial", corpus, jobs=1), run_measure("serial", big, jobs=1)
    return [("7a peak RSS of 2", f"{one['rss_mb']:.0f} MB", f"{one['files']} files", "-", True),
            (f"7c peak RSS of 2 on 2x corpus ({two['files']} files)", f"{two['rss_mb']:.0f} MB",
             f"{two['rss_mb'] / one['rss_mb']:.2f}x 7a", "<= 1.10x (flat)",
             two["rss_mb"] / one["rss_mb"] <= 1.10)]


# -- per-rule profile ----------------------------------------------------------

def profile_rules(corpus: Path) -> list[tuple[str, float, int]]:
    """Seconds spent in decode+parse, the model and each rule over the corpus."""
    import libcst

    from bflint import engine
    from bflint.model import SemanticModel
    from bflint.registry import all_rules

    rules = all_rules()
    spent: dict[str, float] = {"parse": 0.0, "model": 0.0, "positions": 0.0}
    counts: dict[str, int] = {}
    clock = time.perf_counter
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10_000))
    for p in _files(str(corpus)):
        try:
            t0 = clock()
            text = engine.decode(p.read_bytes())
            module = libcst.parse_module(text)
            t1 = clock()
            model = SemanticModel(module, text, str(p))
            t2 = clock()
        except Exception:
            continue
        spent["parse"] += t1 - t0
        spent["model"] += t2 - t1
        nodes = []
        for rule_cls in rules:
            t0 = clock()
            try:
                reps = list(rule_cls().check(model))
            except Exception:
                reps = []
            spent[rule_cls.CODE] = spent.get(rule_cls.CODE, 0.0) + clock() - t0
            counts[rule_cls.CODE] = counts.get(rule_cls.CODE, 0) + len(reps)
            nodes += [r.node for r in reps if r.node is not None]
        if nodes:
            t0 = clock()
            engine._positions(module, nodes)
            spent["positions"] += clock() - t0
    return sorted(((k, v, counts.get(k, 0)) for k, v in spent.items()), key=lambda x: -x[1])


# -- the language server ---------------------------------------------------------

def script_500() -> str:
    """500 lines of BayesFlow code: the examples, repeated with renamed
    variables (every copy parses and is analysed), padded with comments."""
    bodies = [p.read_text() for p in sorted((ROOT / "examples").glob("*.py"))]
    out: list[str] = []
    i = 0
    while True:
        body = bodies[i % len(bodies)].splitlines()
        if len(out) + len(body) > 500:
            break
        out += [line.replace("workflow", f"workflow{i}").replace("adapter", f"adapter{i}")
                for line in body]
        i += 1
    out += ["# padding"] * (500 - len(out))
    return "\n".join(out) + "\n"


def _proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) a process has used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


LSP_MODULE = """import bayesflow as bf
import numpy as np


def prior():
    mu = np.random.normal(0.0, 1.0)
    sigma = np.random.gamma(2.0, 1.0)
    return dict(mu=mu, sigma=sigma)


def likelihood(mu, sigma):
    return dict(x=np.random.normal(mu, sigma, size=50))


def create_adapter():
    return bf.Adapter().as_set(["x"]).concatenate(["mu", "sigma"], into="inference_variables")
"""
LSP_IMPORTER = """from model_settings import create_adapter, likelihood, prior  # noqa: E402
project_workflow = bf.BasicWorkflow(simulator=bf.make_simulator([prior, likelihood]),
                                    adapter=create_adapter(), standardize="all")
"""


def lsp_latency(tmp: Path, edits: int = 20, cmd: list[str] | None = None,
                project: bool = False) -> dict:
    """didChange -> publishDiagnostics of that version, through the real server.
    ``project``: the script also imports from a module next to it (LSP_MODULE)."""
    from bflint.server.client import StdioClient

    text = script_500()
    path = tmp / ("lsp-project" if project else "lsp") / "train500.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    if project:  # in place of the last padding lines: still 500 lines
        extra = LSP_IMPORTER.splitlines()
        kept = text.splitlines()
        assert kept[-len(extra):] == ["# padding"] * len(extra)
        text = "\n".join(kept[:-len(extra)] + extra) + "\n"
        (path.parent / "model_settings.py").write_text(LSP_MODULE)
    path.write_text(text)
    uri = path.as_uri()
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if "=" in line and not line.startswith("#"))
    cmd = cmd or [sys.executable, "-m", "bflint", "server"]
    with StdioClient(cmd, cwd=str(path.parent), env=ENV) as c:
        c.initialize(path.parent.as_uri())
        t0 = time.perf_counter()
        c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                           "version": 1, "text": text}})
        first = c.wait_notification("textDocument/publishDiagnostics", lambda p: p["uri"] == uri)
        opened = time.perf_counter() - t0
        times = []
        cpu0 = _proc_cpu(c.proc.pid)
        for v in range(2, edits + 2):
            # a new text each time (a comment at the end of one line): never a cached result
            mark = len(c.notifications)
            end = len(lines[row])
            sent = time.perf_counter()
            c.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": v},
                "contentChanges": [{"range": {"start": {"line": row, "character": end},
                                              "end": {"line": row, "character": end}},
                                    "text": f" # {v}" if v == 2 else str(v % 10)}]})
            c.wait_notification("textDocument/publishDiagnostics",
                                lambda p: p["uri"] == uri and p.get("version") == v, since=mark)
            got = c.notifications[-1]["received"]
            times.append(got - sent)
            lines[row] += f" # {v}" if v == 2 else str(v % 10)
        cpu1 = _proc_cpu(c.proc.pid)
        c.shutdown()
    cpu = (cpu1 - cpu0) / edits if cpu0 is not None and cpu1 is not None else None
    # the analysis alone, in this process, on the same texts (what the server adds is the rest)
    from bflint import engine
    from bflint.server.incremental import Document

    enabled = engine._enabled()
    alone, alone_cpu, incremental, incremental_cpu = [], [], [], []
    doc = Document()
    indexes: dict = {"alone": None, "incremental": None}
    if project:  # the server's index (the open document read from its text), one per way
        from bflint.server.project import ServerIndex

        indexes = {k: ServerIndex() for k in indexes}
        for index in indexes.values():
            index.open_buffer(str(path), text)
    engine.check_source(text, str(path), enabled, document=doc, project=indexes["incremental"])
    lines = text.splitlines()
    for v in range(2, edits + 2):  # the server's texts: full analysis, then the server's way
        lines[row] += f" # {v}" if v == 2 else str(v % 10)
        variant = "\n".join(lines) + "\n"
        for out, out_cpu, document, index in ((alone, alone_cpu, None, indexes["alone"]),
                                              (incremental, incremental_cpu, doc,
                                               indexes["incremental"])):
            if index is not None:
                index.change_buffer(str(path), variant)
            t0, c0 = time.perf_counter(), time.thread_time()
            engine.check_source(variant, str(path), enabled, document=document, project=index)
            out.append(time.perf_counter() - t0)
            out_cpu.append(time.thread_time() - c0)
    times.sort()
    return {"median": statistics.median(times), "p90": times[int(0.9 * (len(times) - 1))],
            "open": opened, "diagnostics": len(first["diagnostics"]), "n": len(times),
            "alone": statistics.median(alone[1:]), "alone_cpu": statistics.median(alone_cpu[1:]),
            "incremental": statistics.median(incremental[1:]),
            "incremental_cpu": statistics.median(incremental_cpu[1:]), "cpu": cpu}


def lsp_row(tmp: Path) -> tuple:
    from bflint.server.lsp import DEBOUNCE

    r = lsp_latency(tmp)
    p = lsp_latency(tmp, project=True)

    def cpu(r: dict) -> str:
        return f"{r['cpu'] * 1000:.0f} ms" if r["cpu"] is not None else "n/a"

    return ("9 editor: diagnostics after didChange, 500-line script (bflint server)",
            f"{r['median'] * 1000:.0f} ms (p90 {r['p90'] * 1000:.0f} ms)",
            f"{r['diagnostics']} diagnostics; server CPU/edit {cpu(r)}"
            + f"; in-process: full check {r['alone'] * 1000:.0f} ms (CPU {r['alone_cpu'] * 1000:.0f}),"
            f" incremental {r['incremental'] * 1000:.0f} ms (CPU {r['incremental_cpu'] * 1000:.0f});"
            f" importing a project module: {p['median'] * 1000:.0f} ms (p90 {p['p90'] * 1000:.0f} ms,"
            f" {p['diagnostics']} diagnostics, server CPU/edit {cpu(p)}; in-process incremental"
            f" {p['incremental'] * 1000:.0f} ms, CPU {p['incremental_cpu'] * 1000:.0f});"
            f" debounce {DEBOUNCE * 1000:.0f} ms",
            "<= 150 ms", max(r["median"], p["median"]) <= 0.150)


# -- the size sweep (issue 18 section 1) -----------------------------------------

SWEEP_LINES = (2_000, 4_000, 8_000, 16_000, 32_000)


def _bound_names(text: str) -> set[str]:
    """Names bound at module level (assignments, loops, ``with``, functions, classes)."""
    import ast
    import builtins
    import keyword

    out: set[str] = set()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            out |= {n.id for n in ast.walk(node)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
    return out - set(dir(builtins)) - set(keyword.kwlist)


def _renamed(text: str, names: set[str], k: int) -> str:
    """``text`` with every name of ``names`` renamed ``name_k`` (not attributes,
    not keyword arguments): copy k is one more independent script."""
    import io
    import tokenize

    toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    out, depth, prev = [], 0, None
    for i, t in enumerate(toks):
        if t.type == tokenize.OP and t.string in "([{":
            depth += 1
        elif t.type == tokenize.OP and t.string in ")]}":
            depth -= 1
        if t.type == tokenize.NAME and t.string in names and not (prev and prev.string == "."):
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if not (depth > 0 and nxt is not None and nxt.string == "="):
                t = t._replace(string=f"{t.string}_{k}")
        out.append(t)
        if t.type not in (tokenize.NL, tokenize.COMMENT):
            prev = t
    return tokenize.untokenize(out)


def sweep_seed(seed: Path | None = None) -> str:
    """The script repeated: ``--sweep-seed FILE`` (e.g. a real script of the
    corpus), else the project's examples joined (~235 lines of BayesFlow code
    with its fit calls, diagnostics and mistakes)."""
    if seed is not None:
        return seed.read_text()
    return "\n".join(p.read_text() for p in sorted((ROOT / "examples").glob("*.py")))


def sweep_text(lines: int, seed: str) -> str:
    names = _bound_names(seed)
    per = max(1, len(seed.splitlines()))
    return "\n".join(_renamed(seed, names, k) for k in range(max(1, round(lines / per))))


def measure_sweep(lines: int, seed_path: str | None) -> dict:
    """One size, in a fresh process: the best of a few runs of each stage (CPU seconds)."""
    import gc

    from bflint import engine
    from bflint.model import SemanticModel
    from bflint.registry import all_rules

    text = sweep_text(lines, sweep_seed(Path(seed_path) if seed_path else None))
    enabled = engine._enabled()
    engine.check_text(sweep_text(200, sweep_seed(Path(seed_path) if seed_path else None)),
                      "warm.py", enabled)  # imports, lazy tables
    clock = time.process_time  # CPU time: other processes on the machine count less
    runs = 3 if lines <= 16_000 else 2
    best: dict[str, float] = {}
    for _ in range(runs):
        gc.collect()
        gc.disable()  # as engine.check_text does for the whole analysis
        t0 = clock()
        module = engine.parse_module(text)
        t1 = clock()
        model = SemanticModel(module, text, "sweep.py")
        t2 = clock()
        nodes = []
        for rule_cls in all_rules():
            if rule_cls.CODE in enabled:
                nodes += [r.node for r in rule_cls().check(model) if r.node is not None]
        t3 = clock()
        engine._positions(module, nodes, text)
        t4 = clock()
        gc.enable()
        del model, module
        gc.collect()
        t5 = clock()
        found = engine.check_text(text, "sweep.py", enabled)
        t6 = clock()
        for key, value in (("parse", t1 - t0), ("model", t2 - t1), ("rules", t3 - t2),
                           ("positions", t4 - t3), ("check", t6 - t5)):
            best[key] = min(best.get(key, value), value)
    return {"lines": len(text.splitlines()), "bytes": len(text.encode()), "findings": len(found),
            **best}


def size_sweep(seed: Path | None = None) -> list[dict]:
    out = []
    for n in SWEEP_LINES:
        cmd = [sys.executable, __file__, "--_sweep", str(n)]
        if seed is not None:
            cmd += ["--sweep-seed", str(seed)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=ENV)
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def sweep_rows(results: list[dict]) -> tuple[list[str], tuple]:
    """The table of the sweep and its row: the worst doubling of the whole check."""
    lines = [f"  {'lines':>6} {'MB':>5} {'findings':>8} {'parse':>7} {'model':>7} {'rules':>7} "
             f"{'positions':>9} {'check':>7}  x check / x analysis (model+rules+positions)"]
    worst = worst_analysis = 0.0
    prev = None
    for r in results:
        analysis = r["model"] + r["rules"] + r["positions"]
        grow = ""
        if prev is not None:
            g = r["check"] / prev["check"]
            ga = analysis / (prev["model"] + prev["rules"] + prev["positions"])
            worst, worst_analysis = max(worst, g), max(worst_analysis, ga)
            grow = f"  x{g:.2f} / x{ga:.2f}"
        lines.append(f"  {r['lines']:>6} {r['bytes'] / 1e6:>5.2f} {r['findings']:>8} "
                     f"{r['parse']:>7.3f} {r['model']:>7.3f} {r['rules']:>7.3f} "
                     f"{r['positions']:>9.3f} {r['check']:>7.3f}{grow}")
        prev = r
    first, last = results[0], results[-1]
    row = (f"10 size sweep {first['lines'] // 1000}k-{last['lines'] // 1000}k lines, worst doubling",
           f"x{worst:.2f} check", f"x{worst_analysis:.2f} analysis; "
           f"{1e6 * last['check'] / last['lines']:.0f} us/line at {last['lines'] // 1000}k",
           "<= 2.2x", worst <= 2.2)
    return lines, row


# -- real BayesFlow code (issue 18 section 4) -------------------------------------

def build_real_corpus(tmp: Path) -> tuple[Path | None, str]:
    """``bench/fetch_corpus.py`` into ``tmp/real`` (outside the repository,
    from the bare mirrors it knows; never the network). None and the reason
    when nothing could be had."""
    dest = tmp / "real"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "fetch_corpus.py"), "--dest", str(dest)],
                          capture_output=True, text=True, env=ENV)
    last = (proc.stdout.strip().splitlines() or ["no output"])[-1]
    if proc.returncode != 0 or not dest.is_dir() or not any(dest.rglob("*.py")):
        return None, f"not measured: {last} {proc.stderr.strip()[-200:]}"
    return dest, last


def real_rows(tmp: Path, runs: int, cores: int) -> list[tuple]:
    corpus, why = build_real_corpus(tmp)
    if corpus is None:
        return [("11 real BayesFlow code (bench/corpus.toml)", "skipped", why, "-", True)]
    n = len(_files(str(corpus)))
    notebooks = len(list(corpus.rglob("*.ipynb")))
    floor, serial, par, warm, ceiling = [], [], [], [], []
    for r in range(runs):
        ceiling.append(parallel_ceiling(cores) if cores > 1 else 1.0)
        floor.append(run_measure("floor", corpus))
        serial.append(run_measure("serial", corpus, jobs=1))
        par.append(run_measure("parallel", corpus, jobs=cores))
        warm.append(run_measure("warm", corpus, cache_dir=tmp / f"real-cache{r}"))
    f, s_, p, w = (med(x, "wall") for x in (floor, serial, par, warm))
    ceil = statistics.median(ceiling)
    cli_cold, _ = time_cli(["--no-cache", str(corpus)], max(3, runs), tmp)
    rows = [
        (f"11a real code: floor, {n} .py files (+{notebooks} notebooks)",
         f"{f:.2f} s", "1.00x", "-", True),
        ("11b real code: bflint full analysis, 1 process", f"{s_:.2f} s",
         f"{s_ / f:.2f}x floor", "<= 2x floor", s_ / f <= 2.0),
        (f"11c real code: bflint, {cores} processes", f"{p:.2f} s",
         f"{s_ / p:.2f}x speed-up, ceiling now {ceil:.2f}x", ">= 0.9x ceiling",
         cores > 1 and s_ / p >= 0.9 * ceil),
        ("11d real code: warm run (result cache)", f"{w * 1000:.0f} ms",
         f"{100 * w / s_:.1f}% of 11b", "<= 10%", w / s_ <= 0.10),
        ("11e real code: whole CLI, .py and .ipynb, cold", f"{cli_cold:.2f} s",
         f"{serial[0]['findings']} findings in the .py files", "-", True),
    ]
    ruff = shutil.which("ruff") or (str(Path(sys.executable).with_name("ruff"))
                                    if Path(sys.executable).with_name("ruff").exists() else None)
    if ruff:
        times = []
        for _ in range(max(3, runs)):
            t0 = time.perf_counter()
            subprocess.run([ruff, "check", "--no-cache", "--select", "ALL", "--exit-zero", "-q",
                            "--isolated", str(corpus)], capture_output=True, env=ENV)
            times.append(time.perf_counter() - t0)
        rt = statistics.median(times)
        rows.append(("11f real code: ruff check --select ALL (anchor)", f"{rt:.2f} s",
                     f"bflint CLI {cli_cold / rt:.1f}x ruff", "-", True))
    return rows


# -- the report ------------------------------------------------------------------

# -- 12: a multi-module project (issue 12) ----------------------------------------

PROJECT_MODULES = 50


def project_module(i: int, n: int = PROJECT_MODULES) -> str:
    """Module ``i`` of the bench project: a prior, an adapter and a workflow builder,
    using a helper of each of the 3 modules it imports."""
    deps = [(i + k) % n for k in (1, 7, 13)]
    imports = "\n".join(f"from pkg.m{d:02d} import prior_{d}, make_adapter_{d}" for d in deps)
    a, b, c = deps
    return f'''"""Module {i} of the bench project (imports {a}, {b}, {c})."""
import bayesflow as bf
import numpy as np

{imports}


def prior_{i}():
    scale = np.random.gamma(2.0, 1.0)
    loc = np.random.normal(0.0, 1.0)
    return dict(scale_{i}=scale, loc_{i}=loc)


def likelihood_{i}(scale_{i}, loc_{i}):
    x = np.random.normal(loc_{i}, scale_{i}, size=(50, 1))
    return dict(x_{i}=x)


def make_adapter_{i}():
    return (
        bf.Adapter()
        .as_set(["x_{i}"])
        .constrain("scale_{i}", lower=0)
        .concatenate(["scale_{i}", "loc_{i}"], into="inference_variables")
        .concatenate(["x_{i}"], into="summary_variables")
    )


def make_workflow_{i}():
    simulator = bf.make_simulator([prior_{i}, likelihood_{i}])
    other = bf.make_simulator([prior_{a}, likelihood_{i}])
    adapter = make_adapter_{b}()
    return bf.BasicWorkflow(
        simulator=simulator,
        adapter=make_adapter_{i}(),
        summary_network=bf.networks.SetTransformer(summary_dim=8),
        inference_network=bf.networks.CouplingFlow(),
        standardize="all",
    ), other, adapter, make_adapter_{c}


def train_{i}(workflow):
    history = workflow.fit_offline(workflow.simulate(1000), epochs=2, batch_size=32,
                                   validation_data=workflow.simulate(100))
    bf.diagnostics.plots.loss(history)
    return history
'''


def build_project(dest: Path, n: int = PROJECT_MODULES) -> Path:
    root = dest / "project"
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'bench-project'\n")
    (root / "pkg" / "__init__.py").write_text("")
    for i in range(n):
        (root / "pkg" / f"m{i:02d}.py").write_text(project_module(i, n))
    return root


def measure_project(root: str) -> dict:
    """In one process, -j 1: the project run's parses per file (each at most once)."""
    from bflint import runner
    from bflint.engine import _enabled

    opts = runner.RunOptions(enabled=_enabled(), jobs=1, cache=False)
    t0 = time.perf_counter()
    found = runner.check_files(_files(root), opts)
    wall = time.perf_counter() - t0
    index = runner.project_index()
    parses = index.parses
    out = {"wall": wall, "findings": len(found), "max_parses": max(parses.values(), default=0),
           "partial": sum(index.partial_parses.values()),
           "modules_read": runner.modules_read(), "files": len(parses)}
    # all cores: each worker parses its files and, in part, the modules they import
    # from the other workers' files (runner._local_chunks, ProjectIndex.prepare)
    runner._INDEX = None  # a fresh index: forked workers must not inherit the parses above
    pooled = runner.check_files(_files(root), runner.RunOptions(enabled=_enabled(), cache=False))
    out["pool_parses"] = sum(runner.project_index().pool_parses.values())
    out["pool_same"] = sorted(map(repr, pooled)) == sorted(map(repr, found))
    return out


def project_rows(tmp: Path, runs: int) -> list[tuple]:
    """12a full project run vs per-file run (CLI, -j 1 and all cores), 12b one changed file
    with a warm cache (CLI, start-up included), 12c no file parsed twice."""
    root = build_project(tmp)
    cwd = tmp / "project-cwd"
    cwd.mkdir(exist_ok=True)
    rows = []
    for jobs in ("1", None):
        j = ["-j", jobs] if jobs else []
        per_file, _ = time_cli(["--no-cache", "--no-project", *j, str(root)], max(3, runs), cwd)
        project, _ = time_cli(["--no-cache", *j, str(root)], max(3, runs), cwd)
        label = f"-j {jobs}" if jobs else "all cores"
        rows.append((f"12a {PROJECT_MODULES}-module project vs per-file, CLI {label}",
                     f"{project:.2f} / {per_file:.2f} s", f"{project / per_file:.2f}x",
                     "<= 1.3x", project / per_file <= 1.3))
    cache = ["--cache-dir", str(tmp / "project-cache")]
    time_cli(cache + [str(root)], 1, cwd)  # fill the cache
    changed = root / "pkg" / "m07.py"
    original = changed.read_text()
    times, alone, cpu_times, cpu_alone, cpu_unused = [], [], [], [], []
    for k in range(max(3, runs)):
        # a code change (a prior's constant): the module's importers are re-checked too
        changed.write_text(original.replace("np.random.gamma(2.0, 1.0)",
                                            f"np.random.gamma(2.0, {k + 2}.0)"))
        t, c, _ = time_cli_cpu(cache + [str(root)], 1, cwd)
        times.append(t)
        cpu_times.append(c)
        changed.write_text(original.replace("np.random.gamma(2.0, 1.0)",
                                            f"np.random.gamma(3.0, {k + 2}.0)"))
        t, c, _ = time_cli_cpu(cache + [str(changed)], 1, cwd)  # pre-commit: only the changed file
        alone.append(t)
        cpu_alone.append(c)
    unused = []
    for k in range(max(3, runs)):
        # an edit no importer can see (``train_7``: no other module takes it): the
        # importers' summary fingerprints of m07 are unchanged, only m07 is re-checked
        changed.write_text(original.replace("epochs=2", f"epochs={k + 3}"))
        t, c, _ = time_cli_cpu(cache + [str(root)], 1, cwd)
        unused.append(t)
        cpu_unused.append(c)
    changed.write_text(original)
    floor, floor_cpu, _ = time_cli_cpu(["--no-cache", "--no-project", str(changed)], max(3, runs), cwd)
    one, only = statistics.median(times), statistics.median(alone)
    hidden = statistics.median(unused)
    rows.append(("12b one changed module, warm cache, whole project, CLI", _ms(one, statistics.median(cpu_times)),
                 "start-up + it + its 3 importers", "<= 0.3 s", one <= 0.3))
    rows.append(("12b' one changed module passed alone (pre-commit), CLI", _ms(only, statistics.median(cpu_alone)),
                 "start-up + its imports", "<= 0.3 s", only <= 0.3))
    rows.append(("12b'' one module changed where no importer looks, warm cache, whole project",
                 _ms(hidden, statistics.median(cpu_unused)),
                 "start-up + it (importers served from the cache)",
                 "<= 0.3 s", hidden <= 0.3))
    rows.append(("12b* floor: that module alone, --no-project --no-cache, CLI", _ms(floor, floor_cpu),
                 "start-up + LibCST + rules + one file", "-", True))
    out = subprocess.run([sys.executable, __file__, "--_project", str(root)], capture_output=True,
                         text=True, check=True, env=ENV)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    rows.append(("12c parses per file in one project run (-j 1)", f"max {res['max_parses']}",
                 f"{res['files']} files, {res['modules_read']} read via imports, "
                 f"{res['partial']} in part", "<= 1", res["max_parses"] <= 1))
    rows.append(("12c' parses in one all-cores project run (all workers)",
                 f"{res['pool_parses']} for {res['files']} files",
                 "the same findings" if res["pool_same"] else "DIFFERENT findings",
                 "same findings", res["pool_same"]))
    return rows


def _print_rows(rows) -> int:
    """Print (name, value, ratio, target, ok) rows and the load; exit status 1 on a FAIL."""
    for name, value, ratio, target, ok in rows:
        print(f"{name}: {value}; {ratio}; target {target}: {'PASS' if ok else 'FAIL'}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0 if all(r[4] for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=300,
                    help="standard-library files in the corpus (0: all; default 300)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median; default 3)")
    ap.add_argument("--cli-runs", type=int, default=7,
                    help="runs of the CLI measurements 5 and 6 (default 7)")
    ap.add_argument("--jobs", type=int, default=None, help="cores for 3 (default: all)")
    ap.add_argument("--rules", action="store_true", help="also print the time of each rule")
    ap.add_argument("--keep", action="store_true", help="keep the corpus directory")
    ap.add_argument("--lsp-only", action="store_true", help="measure only 9 (the language server)")
    ap.add_argument("--sweep-only", action="store_true", help="measure only 10 (the size sweep)")
    ap.add_argument("--real-only", action="store_true",
                    help="measure only 11 (real BayesFlow code of bench/corpus.toml)")
    ap.add_argument("--sweep-seed", type=Path, default=None,
                    help="the script the size sweep repeats (default: the examples)")
    ap.add_argument("--project-only", action="store_true",
                    help="measure only 12 (a 50-module project, issue 12)")
    ap.add_argument("--startup-only", action="store_true",
                    help="measure only 5-8 and 13 (start-up, warm runs, memory, pre-filter)")
    ap.add_argument("--_prefilter", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--_project", help=argparse.SUPPRESS)
    ap.add_argument("--_sweep", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--_measure", help=argparse.SUPPRESS)
    ap.add_argument("--_corpus", help=argparse.SUPPRESS)
    ap.add_argument("--_cache-dir", dest="cache_dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._sweep:
        print(json.dumps(measure_sweep(args._sweep, str(args.sweep_seed) if args.sweep_seed else None)))
        return 0
    if args._measure:
        print(json.dumps(measure(args._measure, args._corpus, args.jobs, args.cache_dir)))
        return 0
    if args._project:
        print(json.dumps(measure_project(args._project)))
        return 0
    if args._prefilter:
        print(json.dumps(measure_prefilter()))
        return 0

    from bflint.runner import default_jobs

    cores = args.jobs or default_jobs()
    tmp = Path(tempfile.mkdtemp(prefix="bflint-bench-"))
    bench_env(tmp)
    if args.lsp_only:
        try:
            name, value, ratio, target, ok = lsp_row(tmp)
            print(f"{name}: {value}; {ratio}; target {target}: {'PASS' if ok else 'FAIL'} "
                  f"(load average {os.getloadavg()[0]:.1f})")
            return 0 if ok else 1
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.real_only:
        try:
            rows = real_rows(tmp, args.runs, cores)
            return _print_rows(rows)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.project_only:
        try:
            rows = project_rows(tmp, args.runs)
            return _print_rows(rows)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.startup_only:
        try:
            corpus = build_corpus(tmp, args.files)
            rows = cli_rows(tmp, corpus, args.cli_runs, args.runs)
            rows += memory_rows(tmp, corpus) + [prefilter_row()]
            return _print_rows(rows)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.sweep_only:
        try:
            table, (name, value, ratio, target, ok) = sweep_rows(size_sweep(args.sweep_seed))
            print("\n".join(table))
            print(f"{name}: {value}; {ratio}; target {target}: {'PASS' if ok else 'FAIL'} "
                  f"(load average {os.getloadavg()[0]:.1f})")
            return 0 if ok else 1
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    try:
        corpus = build_corpus(tmp, args.files)
        big = double_corpus(corpus, tmp)
        n = len(_files(str(corpus)))
        size = sum(p.stat().st_size for p in corpus.rglob("*.py")) / 1e6
        print(f"bflint benchmark: {n} files ({size:.1f} MB), {args.runs} runs each, "
              f"{default_jobs()} cores, Python {sys.version.split()[0]}", flush=True)
        load_before = os.getloadavg()[0]
        floor, serial, par, warm, ceiling = [], [], [], [], []
        for r in range(args.runs):
            # interleaved: a burst of load hits every measure alike
            ceiling.append(parallel_ceiling(cores) if cores > 1 else 1.0)
            floor.append(run_measure("floor", corpus))
            serial.append(run_measure("serial", corpus, jobs=1))
            par.append(run_measure("parallel", corpus, jobs=cores))
            warm.append(run_measure("warm", corpus, cache_dir=tmp / f"cache{r}"))
        serial2 = [run_measure("serial", big, jobs=1)]
        startup = cli_rows(tmp, corpus, args.cli_runs, args.runs)
        f_wall, s_wall, p_wall, w_wall = (med(x, "wall") for x in (floor, serial, par, warm))
        rows = []

        def row(name, value, ratio, target, ok):
            rows.append((name, value, ratio, target, "PASS" if ok else "FAIL"))

        row("1 floor: libcst.parse_module, 1 core", f"{f_wall:.2f} s ({1000 * f_wall / n:.1f} ms/file)",
            "1.00x", "-", True)
        row("2 bflint full analysis, 1 process", f"{s_wall:.2f} s ({1000 * s_wall / n:.1f} ms/file)",
            f"{s_wall / f_wall:.2f}x floor", "<= 2x floor", s_wall / f_wall <= 2.0)
        speed_target = 0.9 * cores
        ceil = statistics.median(ceiling)
        row(f"3 bflint, {cores} processes", f"{p_wall:.2f} s",
            f"{s_wall / p_wall:.2f}x speed-up", f">= {speed_target:.1f}x",
            cores > 1 and s_wall / p_wall >= speed_target)
        row("3' machine's ceiling now (CPU burn)", f"{ceil:.2f}x",
            f"bflint gets {s_wall / p_wall / ceil:.0%} of it", "-", True)
        row("4 warm run (result cache)", f"{w_wall * 1000:.0f} ms",
            f"{100 * w_wall / s_wall:.1f}% of 2", "<= 10%", w_wall / s_wall <= 0.10)
        for r in startup[:-2]:  # 5, 5', 6
            row(*r)
        rss1, rss2 = med(serial, "rss_mb"), serial2[0]["rss_mb"]
        row("7a peak RSS of 2", f"{rss1:.0f} MB", "-", "-", True)
        row("7b peak RSS of 3 (parent / largest worker)",
            f"{med(par, 'rss_mb'):.0f} / {med(par, 'children_rss_mb'):.0f} MB", "-", "-", True)
        row(f"7c peak RSS of 2 on 2x corpus ({2 * n} files)", f"{rss2:.0f} MB",
            f"{rss2 / rss1:.2f}x 7a", "<= 1.10x (flat)", rss2 / rss1 <= 1.10)

        for r in startup[-2:]:  # 8a, 8b
            row(*r)
        row(*prefilter_row())

        try:
            row(*lsp_row(tmp))
        except ImportError:  # bflint[server] not installed
            rows.append(("9 editor: bflint server", "not measured", 'pip install "bflint[server]"',
                         "<= 150 ms", "FAIL"))

        sweep_table, sweep_row = sweep_rows(size_sweep(args.sweep_seed))
        row(*sweep_row)
        for r in real_rows(tmp, args.runs, cores):
            row(*r)
        for r in project_rows(tmp, args.runs):
            row(*r)

        widths = [max(len(str(r[i])) for r in rows + [("measure", "value", "ratio", "target", "")])
                  for i in range(5)]
        header = ("measure", "value", "ratio", "target", "")
        print()
        for r in [header] + rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
        print()
        print(f"CPU time: floor {med(floor, 'cpu'):.2f} s, serial {med(serial, 'cpu'):.2f} s "
              f"({med(serial, 'cpu') / med(floor, 'cpu'):.2f}x); "
              f"findings {serial[0]['findings']}, BF000/BF999 {serial[0]['errors']}; "
              f"2x corpus serial {serial2[0]['wall']:.2f} s; load average "
              f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
        if load_before > 0.5 * default_jobs() or ceil < 0.9 * cores:  # (the load after counts us)
            print("CAUTION: other processes were using the CPU: wall-time ratios (3 above all) "
                  "are not reliable; rerun on an idle machine.")
        if serial[0]["findings"] != par[0]["findings"] or serial[0]["findings"] != warm[0]["findings"]:
            print("WARNING: serial, parallel and warm runs gave different numbers of findings")

        print("size sweep (CPU seconds, best of runs, each size in a fresh process):")
        print("\n".join(sweep_table))
        if args.rules:
            print("\nper-rule time over the corpus (one process):")
            for code, secs, count in profile_rules(corpus):
                print(f"  {code:<10} {secs * 1000:9.1f} ms  {1000 * secs / n:6.2f} ms/file  "
                      f"{count} reports")
        failed = [r for r in rows if r[4] == "FAIL"]
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"corpus kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
