"""Fuzz bflint: generated Python programs (hypothesmith) and mutated
BayesFlow scripts (tests/fixtures/**/*.py, examples/*.py).

Properties checked for every input (``check_source(prefilter=False)``, all
rules): nothing raises; every finding is well formed (known code, name,
severity, non-empty message) and its position lies inside the file; no
BF999 (a rule or the engine failed); when the input parses, no BF000 and
every code is a catalog code known to the registry. Mutated scripts are
also checked as notebooks (their lines split into cells).

    python scripts/fuzz.py --programs 10000 [--seed 0] [--crash-dir fuzz-crashes]

prints the programs tried, the crashes and the slowest input with its time.
The normal test suite runs a short, seeded version (tests/robustness/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bflint import engine  # noqa: E402
from bflint.finding import Finding  # noqa: E402

HEADERS = ("", "import bayesflow as bf\n", "import bayesflow\nfrom bayesflow import BasicWorkflow as BW\n")


class PropertyError(AssertionError):
    pass


def known_codes() -> frozenset[str]:
    from bflint.registry import rules_by_code

    return frozenset(rules_by_code())


def _parses(text: str) -> bool:
    import libcst as cst

    deep, refusal = engine.nesting_guard(text)
    if refusal is not None:
        return False
    try:
        if deep:
            engine.run_deep(cst.parse_module, text)
        else:
            cst.parse_module(text)
    except Exception:
        return False
    return True


def check_findings(findings, text: str, *, cells: list[list[str]] | None = None) -> None:
    """Raise PropertyError when a finding is malformed or out of the file."""
    from bflint.finding import SEVERITIES

    codes = known_codes()
    lines = engine.physical_lines(text) or [""]
    for f in findings:
        if not isinstance(f, Finding):
            raise PropertyError(f"not a Finding: {f!r}")
        if f.code not in codes or not re.fullmatch(r"BF\d{3}", f.code):
            raise PropertyError(f"unknown code {f.code}")
        if f.code == engine.INTERNAL_ERROR:
            raise PropertyError(f"internal error: {f.message}")
        if f.severity not in SEVERITIES or not f.name or not isinstance(f.message, str) or not f.message:
            raise PropertyError(f"malformed finding {f!r}")
        rows = lines
        if cells is not None:
            if f.cell is None or not 1 <= f.cell <= len(cells):
                raise PropertyError(f"cell out of range: {f!r}")
            rows = cells[f.cell - 1] or [""]
        if not (1 <= f.row <= len(rows) + 1 and f.column >= 1):
            raise PropertyError(f"start outside the file ({len(rows)} lines): {f!r}")
        if not (f.row <= f.end_row <= len(rows) + 1):
            raise PropertyError(f"end outside the file or before the start ({len(rows)} lines): {f!r}")
        if f.row <= len(rows) and f.column > len(rows[f.row - 1]) + 2:
            raise PropertyError(f"column beyond the line ({len(rows[f.row - 1])} chars): {f!r}")
        if f.end_row == f.row and f.end_column < f.column:
            raise PropertyError(f"end column before the start: {f!r}")


def check_program(text: str, filename: str = "fuzz.py", *, enabled: frozenset[str] | None = None) -> list:
    """Lint one program (all rules, no pre-filter) and check the properties."""
    enabled = enabled if enabled is not None else engine._enabled(None)
    findings = engine.check_source(text, filename, enabled, prefilter=False)
    check_findings(findings, text)
    if any(f.code == engine.PARSE_ERROR for f in findings) and _parses(text):
        bad = [f for f in findings if f.code == engine.PARSE_ERROR]
        raise PropertyError(f"BF000 for a file that parses: {bad}")
    return findings


def check_as_notebook(text: str, rng: random.Random, enabled: frozenset[str] | None = None) -> list:
    """Split the lines into code (and some markdown) cells and check them as a notebook."""
    from bflint import notebook

    enabled = enabled if enabled is not None else engine._enabled(None)
    lines = text.splitlines(keepends=True)
    cells, cur = [], []
    for line in lines:
        cur.append(line)
        if rng.random() < 0.15:
            cells.append(cur)
            cur = []
    if cur:
        cells.append(cur)
    nb_cells = []
    for c in cells:
        kind = "markdown" if rng.random() < 0.1 else "code"
        nb_cells.append({"cell_type": kind, "metadata": {}, "source": c,
                         **({"outputs": [], "execution_count": None} if kind == "code" else {})})
    data = json.dumps({"cells": nb_cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
    findings = notebook.check_notebook(data, "fuzz.ipynb", enabled, prefilter=False)
    check_findings(findings, text, cells=[engine.physical_lines("".join(c)) for c in cells])
    return findings


# -- mutations ---------------------------------------------------------------------

JUNK = ["(", ")", "[", "]", "{", "}", ":", ",", "=", "==", "lambda", "lambda x:", "**", "*", '"""', "'''",
        "'", '"', "\\", "@", "yield", "await", "async", "not", "if", "else", "\t", "\x0c", "é", "λ", "#",
        "None", "...", "->", ";", "\n", "\n    ", "import bayesflow as bf", "def", "class", "return",
        "bf.", "workflow.", ".fit_offline(", "num_samples=", "f'{", "}'", "0x", "1e", "\r", "\r\n", "\u2028",
        "match", "case", "type", "global x", "del", "del x", "*args", "**kwargs", "adapter=", "validation_data="]
IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


def _replace_line(lines, i, new):
    lines[i] = new
    return lines


def mutate(text: str, rng: random.Random) -> tuple[str, list[str]]:
    """Apply 1-4 random mutations; returns the text and their names."""
    applied = []
    for _ in range(rng.randint(1, 4)):
        lines = text.splitlines(keepends=True) or ["\n"]
        i = rng.randrange(len(lines))
        op = rng.choice(["delete", "duplicate", "swap", "rename", "drop_kw", "junk", "junk", "indent",
                         "truncate", "move_block", "drop_arg", "bracket", "string"])
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "rename":
            names = sorted(set(IDENT.findall(text)))
            if names:
                old = rng.choice(names)
                new = rng.choice(names + ["x", "workflow", "adapter", "bf", "history", "_", "self", "np"])
                text = re.sub(rf"\b{re.escape(old)}\b", new, text, count=0 if rng.random() < 0.7 else 1)
                applied.append(f"rename {old}->{new}")
                continue
        elif op in ("drop_kw", "drop_arg"):
            pat = r"\b\w+\s*=\s*[^,()\n]*,?\s*" if op == "drop_kw" else r"[^,()\n]+,\s*"
            ms = list(re.finditer(pat, text))
            if ms:
                m = rng.choice(ms)
                text = text[:m.start()] + text[m.end():]
                applied.append(op)
                continue
        elif op == "junk":
            pos = rng.randrange(len(text) + 1)
            text = text[:pos] + rng.choice(JUNK) + text[pos:]
            applied.append("junk")
            continue
        elif op == "indent":
            lines[i] = rng.choice(["    ", "\t", " ", ""]) + lines[i].lstrip(" \t") if rng.random() < 0.8 \
                else lines[i].lstrip()
        elif op == "truncate":
            text = text[:rng.randrange(len(text) + 1)]
            applied.append("truncate")
            continue
        elif op == "move_block":
            j = min(len(lines), i + rng.randint(1, 6))
            block = lines[i:j]
            del lines[i:j]
            k = rng.randrange(len(lines) + 1)
            lines[k:k] = block
        elif op == "bracket":
            ms = [m.start() for m in re.finditer(r"[()\[\]{}]", text)]
            if ms:
                p = rng.choice(ms)
                text = text[:p] + text[p + 1:]
                applied.append("bracket")
                continue
        elif op == "string":
            ms = list(re.finditer(r"\"[^\"\n]*\"|'[^'\n]*'", text))
            if ms:
                m = rng.choice(ms)
                text = text[:m.start()] + rng.choice(['"all"', '"inference_variables"', "'x'", '""', "None",
                                                      "f'{x}'", "b'x'"]) + text[m.end():]
                applied.append("string")
                continue
        text = "".join(lines)
        applied.append(op)
    return text, applied


def corpus() -> list[tuple[str, str]]:
    files = sorted((ROOT / "tests" / "fixtures").rglob("*.py")) + sorted((ROOT / "examples").glob("*.py"))
    out = []
    for f in files:
        try:
            out.append((str(f.relative_to(ROOT)), f.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return out


# -- notebook structure ------------------------------------------------------------

_DEEP = "__bflint_fuzz_deep_%d__"
_ODD_VALUES = [None, 0, -1, 1.5, 1e308, 10 ** 50, True, "", "\udcff", "\ud800x", "x\u202e", [], {},
               [1, 2], {"a": 1}, "\x00", "%%bash\necho hi\n", "!pip install bayesflow\n",
               "%matplotlib inline\nimport bayesflow as bf\n", "bf.BasicWorkflow?\n", "x" * 5000,
               ["import bayesflow as bf\n", 5], ["\udcff"], "import bayesflow as bf\r\n\x0c"]
_CELL_TYPES = ["code", "markdown", "raw", "CODE", None, 5, "", "code "]
_LANGUAGES = ["python", "python3", "Python", "R", "julia", 5, None, "", "ipython3"]


def _paths(value, prefix=()):
    """Every (path, value) of a JSON document, containers included."""
    yield prefix, value
    if isinstance(value, dict):
        for k, v in list(value.items()):
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _set(doc, path, value):
    if not path:
        return value
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = value
    return doc


def notebook_structure(text: str, rng: random.Random) -> tuple[bytes, list[str]]:
    """A notebook made of ``text``'s lines in cells, then structurally
    mutated: odd values and types anywhere, deleted keys, nbformat 3,
    other kernels, deep JSON, lone surrogates, magics, truncation, BOMs,
    invalid UTF-8, many cells (issue 16 item 12: 78 of 24,805 such
    notebooks gave BF999)."""
    lines = text.splitlines(keepends=True)
    cells, cur = [], []
    for line in lines:
        cur.append(line)
        if rng.random() < 0.2:
            cells.append(cur)
            cur = []
    cells.append(cur)
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": c if rng.random() < 0.7 else "".join(c)} for c in cells],
          "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    ops: list[str] = []
    deep: dict[str, str] = {}
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["value", "value", "delete", "cell_type", "language", "nbformat3",
                           "deep", "many_cells", "source_type", "magic"])
        paths = [p for p, _ in _paths(nb)]
        if kind == "value":
            path = rng.choice(paths)
            nb = _set(nb, path, rng.choice(_ODD_VALUES))
            ops.append(f"value at {path!r}")
        elif kind == "delete":
            path = rng.choice([p for p in paths if p])
            try:
                parent = nb
                for k in path[:-1]:
                    parent = parent[k]
                del parent[path[-1]]
                ops.append(f"delete {path!r}")
            except (KeyError, IndexError, TypeError):
                pass
        elif kind == "cell_type" and isinstance(nb, dict) and isinstance(nb.get("cells"), list) and nb["cells"]:
            c = rng.choice(nb["cells"])
            if isinstance(c, dict):
                c["cell_type"] = rng.choice(_CELL_TYPES)
                ops.append("cell_type")
        elif kind == "language" and isinstance(nb, dict):
            key = rng.choice([("kernelspec", "language"), ("language_info", "name")])
            meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
            meta[key[0]] = rng.choice([{key[1]: rng.choice(_LANGUAGES)}, None, "python", []])
            nb["metadata"] = meta
            ops.append(f"language {key}")
        elif kind == "nbformat3" and isinstance(nb, dict) and isinstance(nb.get("cells"), list):
            old = nb.pop("cells")
            nb["worksheets"] = [{"cells": [dict(c, input=c.pop("source", "")) if isinstance(c, dict) else c
                                           for c in old]}]
            nb["nbformat"] = 3
            ops.append("nbformat 3")
        elif kind == "deep":
            depth = rng.choice([50, 500, 5000, 50_000, 200_000])
            marker = _DEEP % len(deep)
            deep[marker] = ("[" * depth + "]" * depth if rng.random() < 0.5
                            else '{"a":' * depth + "1" + "}" * depth)
            nb = _set(nb, rng.choice(paths), marker)
            ops.append(f"deep JSON {depth}")
        elif kind == "many_cells" and isinstance(nb, dict) and isinstance(nb.get("cells"), list):
            nb["cells"] = nb["cells"] * rng.choice([5, 10, 50])
            ops.append("many cells")
        elif kind == "source_type" and isinstance(nb, dict) and isinstance(nb.get("cells"), list) and nb["cells"]:
            c = rng.choice(nb["cells"])
            if isinstance(c, dict):
                c["source"] = rng.choice([None, 5, ["a", None], {"x": 1}, "", [], ["\udcff\n"]])
                ops.append("source type")
        elif kind == "magic" and isinstance(nb, dict) and isinstance(nb.get("cells"), list) and nb["cells"]:
            c = rng.choice(nb["cells"])
            if isinstance(c, dict):
                c["source"] = rng.choice(["%%bash\n", "%%time\n", "!", "%load_ext x\n", "?"]) + \
                    (c["source"] if isinstance(c.get("source"), str) else "")
                ops.append("magic")
    data = json.dumps(nb, ensure_ascii=rng.random() < 0.5 or bool(deep))
    for marker, raw in deep.items():
        data = data.replace(json.dumps(marker), raw, 1)
    raw = data.encode("utf-8", "surrogatepass")
    byte_op = rng.random()
    if byte_op < 0.05:
        raw = raw[:rng.randrange(len(raw) + 1)]
        ops.append("truncated")
    elif byte_op < 0.08:
        raw = b"\xef\xbb\xbf" + raw
        ops.append("BOM")
    elif byte_op < 0.11:
        i = rng.randrange(len(raw) + 1)
        raw = raw[:i] + rng.choice([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"]) + raw[i:]
        ops.append("bad bytes")
    return raw, ops


def check_notebook_structure(data: bytes, enabled: frozenset[str] | None = None) -> list:
    """A structurally fuzzed notebook: no exception, no BF999, findings well
    formed, in a cell that exists."""
    from bflint import notebook
    from bflint.finding import SEVERITIES

    enabled = enabled if enabled is not None else engine._enabled(None)
    findings = notebook.check_notebook(data, "fuzz.ipynb", enabled, prefilter=False)
    codes = known_codes()
    try:
        doc = json.loads(data)
        n_cells = len(doc["cells"]) if isinstance(doc, dict) and isinstance(doc.get("cells"), list) else None
    except Exception:
        n_cells = None
    for f in findings:
        if not isinstance(f, Finding) or f.code not in codes:
            raise PropertyError(f"bad finding {f!r}")
        if f.code == engine.INTERNAL_ERROR:
            raise PropertyError(f"internal error: {f.message}")
        if f.severity not in SEVERITIES or not f.message or f.row < 1 or f.column < 1 or f.end_row < f.row:
            raise PropertyError(f"malformed finding {f!r}")
        if f.cell is not None and n_cells is not None and not 1 <= f.cell <= n_cells:
            raise PropertyError(f"cell out of range ({n_cells} cells): {f!r}")
    return findings


# -- the long run ------------------------------------------------------------------

@dataclasses.dataclass
class Stats:
    tried: int = 0
    generated: int = 0
    mutated: int = 0
    notebooks: int = 0
    parsed: int = 0
    findings: int = 0
    crashes: list = dataclasses.field(default_factory=list)
    slowest: tuple[float, str, str] = (0.0, "", "")

    deadline: float | None = None

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def record(self, kind: str, label: str, text: str, fn) -> None:
        if self.out_of_time():
            return
        self.tried += 1
        start = time.perf_counter()
        try:
            found = fn()
            self.findings += len(found)
        except Exception as exc:  # a crash or a broken property: keep going, keep the input
            self.crashes.append((kind, label, text, f"{type(exc).__name__}: {exc}",
                                 traceback.format_exc()))
        took = time.perf_counter() - start
        if took > self.slowest[0]:
            self.slowest = (took, f"{kind}: {label}", text)


def run_generated(stats: Stats, n: int, seed: int) -> None:
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    rng = random.Random(seed)
    done = [0]

    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node()), st.sampled_from(HEADERS))
    def prop(src: str, header: str) -> None:
        if done[0] >= n or stats.out_of_time():
            return
        done[0] += 1
        stats.generated += 1
        text = header + src
        stats.record("generated", f"hypothesmith #{stats.generated}", text, lambda: check_program(text))

    from hypothesis import seed as hseed

    hseed(rng.getrandbits(64))(prop)()


def run_mutated(stats: Stats, n: int, seed: int) -> None:
    rng = random.Random(seed)
    files = corpus()
    for k in range(n):
        if stats.out_of_time():
            return
        name, text = rng.choice(files)
        mutated, ops = mutate(text, rng)
        label = f"{name} + {', '.join(ops)} (seed {seed}, #{k})"
        stats.mutated += 1
        if rng.random() < 0.15:
            stats.record("mutated-notebook", label, mutated, lambda: check_as_notebook(mutated, rng))
        else:
            stats.record("mutated", label, mutated, lambda: check_program(mutated, Path(name).name))


def run_notebook_structure(stats: Stats, n: int, seed: int) -> None:
    rng = random.Random(seed + 1)
    files = corpus()
    for k in range(n):
        if stats.out_of_time():
            return
        name, text = rng.choice(files)
        data, ops = notebook_structure(text, rng)
        label = f"{name} as a notebook + {', '.join(ops) or 'nothing'} (seed {seed}, #{k})"
        stats.notebooks += 1
        stats.record("notebook-structure", label, data.decode("utf-8", "surrogateescape"),
                     lambda: check_notebook_structure(data))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--programs", type=int, default=1000, help="total inputs to try (default 1000)")
    ap.add_argument("--generated-share", type=float, default=0.3,
                    help="share of hypothesmith programs (the rest are mutated scripts)")
    ap.add_argument("--notebook-share", type=float, default=0.2,
                    help="share of structurally fuzzed notebooks (issue 16 item 12)")
    ap.add_argument("--minutes", type=float, default=None,
                    help="stop after this long (the programs are then an upper bound)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--crash-dir", default="fuzz-crashes", help="where crashing inputs are written")
    args = ap.parse_args(argv)

    stats = Stats()
    n_gen = int(args.programs * args.generated_share)
    n_nb = int(args.programs * args.notebook_share)
    check_program("import bayesflow as bf\nwf = bf.BasicWorkflow()\n")  # warm up: imports, rule registry
    start = time.monotonic()
    if args.minutes is not None:
        stats.deadline = start + args.minutes * 60
    # interleaved in rounds, so a time-bounded run has some of each
    rounds = max(20, args.programs // 20)  # ~20 inputs a round
    for r in range(rounds):
        share = (lambda n: n // rounds + (1 if r < n % rounds else 0))
        run_mutated(stats, share(args.programs - n_gen - n_nb), args.seed * 1000 + r)
        run_notebook_structure(stats, share(n_nb), args.seed * 1000 + r)
        if share(n_gen):
            run_generated(stats, share(n_gen), args.seed * 1000 + r)
        if stats.out_of_time():
            break
    elapsed = time.monotonic() - start

    print(f"programs tried: {stats.tried} ({stats.mutated} mutated scripts, {stats.notebooks} structurally "
          f"fuzzed notebooks, {stats.generated} generated programs) in {elapsed:.0f} s, "
          f"{stats.findings} findings")
    print(f"crashes: {len(stats.crashes)}")
    took, label, text = stats.slowest
    print(f"slowest input: {took:.2f} s, {label} ({len(text)} chars, {text.count(chr(10)) + 1} lines)")
    if stats.crashes:
        out = Path(args.crash_dir)
        out.mkdir(parents=True, exist_ok=True)
        seen = set()
        for i, (kind, label, text, why, tb) in enumerate(stats.crashes):
            (out / f"crash{i:04d}.py").write_text(text, encoding="utf-8", errors="surrogatepass")
            (out / f"crash{i:04d}.txt").write_text(f"{kind}: {label}\n{why}\n\n{tb}", encoding="utf-8")
            if why not in seen:
                seen.add(why)
                print(f"  {kind}: {label}: {why[:300]}")
        print(f"crashing inputs written to {out}/")
    return 1 if stats.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
