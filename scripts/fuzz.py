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


# -- the long run ------------------------------------------------------------------

@dataclasses.dataclass
class Stats:
    tried: int = 0
    generated: int = 0
    mutated: int = 0
    parsed: int = 0
    findings: int = 0
    crashes: list = dataclasses.field(default_factory=list)
    slowest: tuple[float, str, str] = (0.0, "", "")

    def record(self, kind: str, label: str, text: str, fn) -> None:
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

    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node()), st.sampled_from(HEADERS))
    def prop(src: str, header: str) -> None:
        if stats.generated >= n:
            return
        stats.generated += 1
        text = header + src
        stats.record("generated", f"hypothesmith #{stats.generated}", text, lambda: check_program(text))

    from hypothesis import seed as hseed

    hseed(rng.getrandbits(64))(prop)()


def run_mutated(stats: Stats, n: int, seed: int) -> None:
    rng = random.Random(seed)
    files = corpus()
    for k in range(n):
        name, text = rng.choice(files)
        mutated, ops = mutate(text, rng)
        label = f"{name} + {', '.join(ops)} (seed {seed}, #{k})"
        stats.mutated += 1
        if rng.random() < 0.15:
            stats.record("mutated-notebook", label, mutated, lambda: check_as_notebook(mutated, rng))
        else:
            stats.record("mutated", label, mutated, lambda: check_program(mutated, Path(name).name))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--programs", type=int, default=1000, help="total inputs to try (default 1000)")
    ap.add_argument("--generated-share", type=float, default=0.3,
                    help="share of hypothesmith programs (the rest are mutated scripts)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--crash-dir", default="fuzz-crashes", help="where crashing inputs are written")
    args = ap.parse_args(argv)

    stats = Stats()
    n_gen = int(args.programs * args.generated_share)
    check_program("import bayesflow as bf\nwf = bf.BasicWorkflow()\n")  # warm up: imports, rule registry
    start = time.monotonic()
    run_mutated(stats, args.programs - n_gen, args.seed)
    if n_gen:
        run_generated(stats, n_gen, args.seed)
    elapsed = time.monotonic() - start

    print(f"programs tried: {stats.tried} ({stats.mutated} mutated scripts, {stats.generated} generated "
          f"programs) in {elapsed:.0f} s, {stats.findings} findings")
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
