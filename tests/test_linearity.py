"""Cost linear in the file's size (issue 18 §1): each rule and the semantic model
on a script four times as long (the bench's size sweep: the examples repeated with
every module-level name renamed per copy, each copy one more workflow with its fit
calls and diagnostics) costs well under the square of the growth. A rule that
judges every fit call against every node of the file (BF106's training data flow
did: 16x for 4x the lines) fails here; a linear one takes ~4x."""

from __future__ import annotations

import gc
import importlib.util
import time
from pathlib import Path

import libcst

from bflint import engine
from bflint.model import SemanticModel
from bflint.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
SMALL, GROWTH = 2_500, 4
FLOOR = 0.03  # CPU seconds at the large size below which a rule is too fast to judge


def _bench():
    spec = importlib.util.spec_from_file_location("bflint_bench", ROOT / "bench" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _times(text: str, enabled) -> dict[str, float]:
    module = engine.parse_without_gc(libcst.parse_module, text)
    gc.collect()
    gc.freeze()
    try:
        t = time.process_time()
        model = SemanticModel(module, text, "sweep.py")
        out = {"model": time.process_time() - t}
        for rule_cls in all_rules():
            if rule_cls.CODE in enabled:
                t = time.process_time()
                list(rule_cls().check(model))
                out[rule_cls.CODE] = time.process_time() - t
        return out
    finally:
        gc.unfreeze()


def test_rules_and_model_grow_linearly():
    bench = _bench()
    seed = bench.sweep_seed(None)
    enabled = engine._enabled()
    _times(bench.sweep_text(300, seed), enabled)  # imports and lazy tables
    small = _times(bench.sweep_text(SMALL, seed), enabled)
    large = _times(bench.sweep_text(SMALL * GROWTH, seed), enabled)
    bent = {k: round(large[k] / max(small[k], 1e-4), 1) for k in large
            if large[k] >= FLOOR and large[k] > 2 * GROWTH * max(small[k], FLOOR / GROWTH)}
    assert bent == {}, f"x{GROWTH} lines cost more than x{2 * GROWTH}: {bent}"
