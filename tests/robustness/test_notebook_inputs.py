"""Bad notebooks through the CLI, from a file and through stdin (issue 16
item 12): deeply nested JSON (was BF999 with a traceback through stdin) and
a cell holding a lone surrogate (valid JSON, no text: was BF999) are one
BF000 finding each; the other cells and files are still checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SENTINEL, assert_clean_exit, run_bflint

DEPTH = 100_000


def _deep_json() -> bytes:
    return (b'{"cells": [{"cell_type": "code", "metadata": ' + b"[" * DEPTH + b"]" * DEPTH
            + b', "source": "import bayesflow as bf\\n"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')


def _surrogate() -> bytes:
    cells = ('{"cell_type": "code", "metadata": {}, "source": "import bayesflow as bf\\nx = \\"\\udcff\\"\\n"}, '
             '{"cell_type": "code", "metadata": {}, "source": ' + json.dumps(SENTINEL) + "}")
    return ('{"cells": [' + cells + '], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}').encode()


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_deeply_nested_notebook_json(tmp_path: Path, how: str) -> None:
    data = _deep_json()
    if how == "file":
        (tmp_path / "deep.ipynb").write_bytes(data)
        (tmp_path / "ok.py").write_text(SENTINEL)
        res = run_bflint("deep.ipynb", "ok.py", cwd=tmp_path, timeout=60)
        assert "ok.py:4:" in res.out and "BF302" in res.out, res.out
    else:
        res = run_bflint("--stdin-filename", "deep.ipynb", "-", cwd=tmp_path, input=data, timeout=60)
    assert_clean_exit(res, 1)
    assert "deep.ipynb:1:1: BF000 invalid notebook: the JSON is nested too deeply" in res.out, res.out
    assert "BF999" not in res.out


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_lone_surrogate_in_a_cell(tmp_path: Path, how: str) -> None:
    data = _surrogate()
    if how == "file":
        (tmp_path / "s.ipynb").write_bytes(data)
        res = run_bflint("s.ipynb", cwd=tmp_path, timeout=60)
    else:
        res = run_bflint("--stdin-filename", "s.ipynb", "-", cwd=tmp_path, input=data, timeout=60)
    assert_clean_exit(res, 1)
    assert "s.ipynb:cell 1:1:1: BF000" in res.out and "not text" in res.out, res.out
    assert "s.ipynb:cell 2:4:" in res.out and "BF302" in res.out, res.out  # the other cell: checked
    assert "BF999" not in res.out
