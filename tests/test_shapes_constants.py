"""Static shapes through names and constants (issue 11 §6): the shape
analysis (bflint.analyze.shapes / constants) on real parsed code."""

from __future__ import annotations

import libcst as cst
import pytest

from bflint.analyze.shapes import static_shape
from bflint.semantic.model import SemanticModel

HEAD = """\
import numpy as np
import bayesflow as bf
rng = np.random.default_rng(0)
"""


def shape_of(body: str, key: str = "v"):
    text = HEAD + body + f"""
wf = bf.BasicWorkflow(simulator=bf.make_simulator([prior]),
                      adapter=bf.Adapter().rename("{key}", "inference_variables"))
"""
    model = SemanticModel(cst.parse_module(text), text, "t.py")
    outputs = model.workflows[0].simulator_outputs()
    f, expr = outputs[key]
    return static_shape(model, expr, f)


@pytest.mark.parametrize("body, shape", [
    ("H = W = 28\ndef prior():\n    return {'v': rng.normal(size=(H, W))[..., None]}", (28, 28, 1)),
    ("N = 16\nH, W = 2 * N, 2 * N\ndef prior():\n    return {'v': np.zeros((H, W, 1))}", (32, 32, 1)),
    ("S = (32, 32)\ndef prior():\n    return {'v': rng.normal(size=S + (1,))}", (32, 32, 1)),
    ("S = (32, 32)\ndef prior():\n    return {'v': rng.normal(size=(*S, 3))}", (32, 32, 3)),
    ("S = (32, 32)\nR, C = S\ndef prior():\n    return {'v': np.ones((R, C, 1))}", (32, 32, 1)),
    ("S = (8,) * 2\ndef prior():\n    return {'v': rng.normal(size=S[:2] + (1,))}", (8, 8, 1)),
    ("CFG = {'side': 16}\ndef prior():\n    s = CFG['side']\n    return {'v': rng.normal(size=(s, s, 1))}",
     (16, 16, 1)),
    ("G = np.zeros((32, 32))\ndef prior():\n    return {'v': rng.normal(size=G.shape)[..., np.newaxis]}",
     (32, 32, 1)),
    ("G = np.zeros((32, 24))\ndef prior():\n    n = G.shape[0]\n    return {'v': np.zeros((n, G.shape[-1], 2))}",
     (32, 24, 2)),
    ("def prior():\n    (a, b), c = (4, 5), 6\n    return {'v': np.zeros((a, b, c))}", (4, 5, 6)),
])
def test_shapes_through_names(body, shape):
    assert shape_of(body) == shape


@pytest.mark.parametrize("body", [
    # a branch binds two values: no single shape
    "import sys\nif sys.argv:\n    H = 8\nelse:\n    H = 64\ndef prior():\n    return {'v': np.zeros((H, H, 1))}",
    # a starred unpacking hides the positions
    "first, *rest = 3, 4, 5\ndef prior():\n    return {'v': np.zeros((first, first, 1))}",
    # a dict key that is not there, a non-literal container
    "CFG = {'side': 16}\ndef prior():\n    return {'v': np.zeros((CFG['size'], 2, 1))}",
    "CFG = dict(side=16)\ndef prior():\n    return {'v': np.zeros((CFG['side'], 2, 1))}",
    # an unpacking of something unknown
    "import os\nH, W = os.environ['SHAPE']\ndef prior():\n    return {'v': np.zeros((H, W, 1))}",
])
def test_unknown_stays_unknown(body):
    assert shape_of(body) is None


def test_simulator_parameter_has_the_shape_of_the_earlier_output():
    text = HEAD + """
SIDE = 32
def prior():
    return {"field": rng.normal(size=(SIDE, SIDE, 1))}
def observe(field):
    return {"obs": field + rng.normal(0, 0.1, size=field.shape)}
def elsewhere(field):
    return {"copy": field}
wf = bf.BasicWorkflow(simulator=bf.make_simulator([prior, observe]),
                      adapter=bf.Adapter().rename("field", "inference_variables"))
alone = bf.BasicWorkflow(simulator=bf.make_simulator([elsewhere]),
                         adapter=bf.Adapter().rename("copy", "inference_variables"))
"""
    model = SemanticModel(cst.parse_module(text), text, "t.py")
    outputs = model.workflows[0].simulator_outputs()
    f, expr = outputs["obs"]
    assert static_shape(model, expr, f) == (32, 32, 1)
    f, expr = model.workflows[1].simulator_outputs()["copy"]
    assert static_shape(model, expr, f) is None  # no earlier function feeds `field` there


def test_constants_imported_from_a_project_module(tmp_path):
    """``from config import IMG, SHAPE``: integer and tuple constants of a project
    module reach the shapes of the importing file (issue 12's project index)."""
    from pathlib import Path

    from bflint import engine, runner

    (tmp_path / "config.py").write_text("IMG = 28\nCHANNELS = 2 - 1\nSHAPE = (IMG, IMG, 1)\n")
    train = tmp_path / "train.py"
    train.write_text(HEAD + """from config import CHANNELS, IMG, SHAPE


def prior():
    return {"a": rng.normal(size=(IMG, IMG, CHANNELS)), "b": np.zeros(SHAPE)}


def small():
    return {"c": rng.normal(size=(IMG, 2, 1))}


wf = bf.BasicWorkflow(simulator=bf.make_simulator([prior]),
                      adapter=bf.Adapter().concatenate(["a", "b"], into="inference_variables"),
                      standardize="all")
no_image = bf.BasicWorkflow(simulator=bf.make_simulator([small]),
                            adapter=bf.Adapter().rename("c", "inference_variables"),
                            standardize="all")
""")
    found = runner.check_path(Path(train), engine._enabled(["BF601"]))
    assert [(f.row, f.code) for f in found] == [(15, "BF601")]
    assert "`a`, `b`" in found[0].message


@pytest.mark.parametrize("body, shape", [
    ("H, W = 32, 24\ndef prior():\n    X, Y = np.meshgrid(np.linspace(0, 1, W), np.linspace(0, 1, H))\n"
     "    x0 = rng.uniform()\n    blob = np.exp(-((X - x0) ** 2 + Y ** 2) / 0.1)\n    return {'v': blob[..., None]}",
     (32, 24, 1)),
    ("def prior():\n    X, Y = np.meshgrid(np.arange(16), np.arange(8), indexing='ij')\n"
     "    return {'v': np.stack([X, Y], axis=-1)}", (16, 8, 2)),
    ("def prior():\n    a, b = rng.normal(size=(2, 32, 32))\n"
     "    return {'v': np.concatenate([a[..., None], b[..., None]], axis=-1)}", (32, 32, 2)),
    ("G = np.zeros((28, 28))\ndef prior():\n    h, w = G.shape\n    return {'v': rng.normal(size=(h, w, 1))}",
     (28, 28, 1)),
    ("def prior():\n    x = rng.normal(size=(32, 32, 3))\n    r, g, b = np.moveaxis(x, -1, 0)\n    return {'v': r}",
     None),
    ("def prior():\n    a, b = rng.normal(size=(3, 32, 32))\n    return {'v': a}", None),
    ("def prior():\n    X, Y = np.meshgrid(np.arange(16), np.arange(8), sparse=True)\n    return {'v': X}", None),
])
def test_shapes_of_unpacked_arrays(body, shape):
    assert shape_of(body) == shape


def test_chains_of_names_stay_cheap():
    """``x1 = x0 + x0; x2 = x1 + x1; ...``: following names has a budget, so the
    cost does not double with every link (it would be 2**40 walks)."""
    import time

    chain = "".join(f"    x{i + 1} = x{i} + x{i}\n" for i in range(40))
    body = f"def prior():\n    x0 = rng.normal(size=(8, 8, 1))\n{chain}    return {{'v': x40}}"
    start = time.perf_counter()
    shape_of(body)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("body", [
    "H, W = 4, 5\nH, W = W, H\ndef prior():\n    return {'v': np.zeros((H, W, 1))}",
    "def prior():\n    a, b = b, a\n    return {'v': np.zeros((a, b, 1))}",
    "S = (1,)\nS = S + S\nS = S * 3\ndef prior():\n    return {'v': rng.normal(size=S)}",
    "CFG = {'n': 0}\nCFG = {'n': CFG['n']}\ndef prior():\n    return {'v': np.zeros((CFG['n'], 2, 1))}",
    "def prior():\n    X, Y = np.meshgrid(X, Y)\n    return {'v': np.stack([X, Y], axis=Y)}",
])
def test_cycles_and_self_references_end(body):
    shape_of(body)  # terminates without raising; the value does not matter
