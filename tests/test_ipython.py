"""``%load_ext bflint`` in a real IPython kernel (ipykernel in a subprocess,
driven through jupyter_client as Jupyter drives it). The kernel imports a
tiny stand-in ``bayesflow`` package from its working folder (importing the
real one takes seconds and is not what is tested: bflint only reads the
source)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("ipykernel", reason="ipykernel is not installed")
pytest.importorskip("jupyter_client", reason="jupyter_client is not installed")

WORKFLOW_CELL = 'wf = bf.BasicWorkflow(adapter=adapter, inference_variables=["theta"])\n' \
                'open("ran.txt", "w").write("the cell ran")\n'


class Kernel:
    def __init__(self, cwd: Path):
        from jupyter_client.manager import start_new_kernel

        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(cwd))

    def run(self, code: str) -> tuple[dict, list[tuple[str, dict]]]:
        """(execute_reply content, iopub messages of this cell in order)."""
        out: list[tuple[str, dict]] = []
        reply = self.kc.execute_interactive(
            code, output_hook=lambda m: out.append((m["msg_type"], m["content"])), timeout=120)
        return reply["content"], [(t, c) for t, c in out if t not in ("status", "execute_input")]

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(tmp_path: Path):
    pkg = tmp_path / "bayesflow"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "class Adapter:\n    pass\n\n\ndef BasicWorkflow(**kwargs):\n    return kwargs\n")
    k = Kernel(tmp_path)
    reply, _ = k.run("%load_ext bflint")
    assert reply["status"] == "ok", reply
    yield k
    k.close()


def displays(msgs) -> list[dict]:
    return [c["data"] for t, c in msgs if t == "display_data"]


def test_findings_shown_before_the_cell_runs_with_earlier_names(kernel: Kernel, tmp_path: Path):
    reply, msgs = kernel.run("import bayesflow as bf\nadapter = bf.Adapter()\n")
    assert reply["status"] == "ok" and not displays(msgs)
    reply, msgs = kernel.run(WORKFLOW_CELL + 'print("output")\n')
    assert reply["status"] == "ok"
    (shown,) = displays(msgs)
    assert "BF101" in shown["text/plain"] and "1:6: BF101 [E]" in shown["text/plain"]
    assert "BF101" in shown["text/html"] and "<a href=" in shown["text/html"]
    assert "BF101" in shown["text/markdown"]
    # above the cell's own output
    kinds = [t for t, _ in msgs]
    assert kinds.index("display_data") < kinds.index("stream")
    assert (tmp_path / "ran.txt").exists()  # warn mode: the cell ran


def test_names_come_from_the_execution_history(kernel: Kernel):
    """`bf` is bound by an earlier cell only: alone, the cell is not BayesFlow code."""
    from bflint import lint_source

    assert lint_source(WORKFLOW_CELL) == []
    kernel.run("import bayesflow as bf\n")
    kernel.run("adapter = bf.Adapter()\n")
    _, msgs = kernel.run(WORKFLOW_CELL)
    assert "BF101" in displays(msgs)[0]["text/plain"]


def test_strict_mode_stops_the_cell(kernel: Kernel, tmp_path: Path):
    kernel.run("import bayesflow as bf\nadapter = bf.Adapter()\n")
    reply, _ = kernel.run("%bflint strict")
    assert reply["status"] == "ok"
    reply, msgs = kernel.run(WORKFLOW_CELL)
    assert reply["status"] == "error" and reply["ename"] == "BflintRejected"
    assert "this cell was not run" in reply["evalue"] and "BF101" in reply["evalue"]
    assert not (tmp_path / "ran.txt").exists()  # nothing in the cell ran
    errors = [c for t, c in msgs if t == "error"]
    assert errors and "BF101" in "\n".join(errors[0]["traceback"])
    # warnings and info do not stop a cell; the rejected cell is not in the history
    reply, _ = kernel.run('x = 1  # a clean cell\nopen("clean.txt", "w").write("ok")\n')
    assert reply["status"] == "ok" and (tmp_path / "clean.txt").exists()
    reply, _ = kernel.run("wf\n")
    assert reply["status"] == "error" and reply["ename"] == "NameError"
    # back to warn: the same cell runs
    kernel.run("%bflint warn")
    reply, msgs = kernel.run(WORKFLOW_CELL)
    assert reply["status"] == "ok" and (tmp_path / "ran.txt").exists()
    assert "BF101" in displays(msgs)[0]["text/plain"]


def test_off_and_on(kernel: Kernel):
    kernel.run("import bayesflow as bf\nadapter = bf.Adapter()\n")
    kernel.run("%bflint off")
    reply, msgs = kernel.run(WORKFLOW_CELL)
    assert reply["status"] == "ok" and not displays(msgs)
    kernel.run("%bflint on")
    _, msgs = kernel.run(WORKFLOW_CELL)
    assert "BF101" in displays(msgs)[0]["text/plain"]
    reply, _ = kernel.run("%bflint sideways")
    assert reply["status"] == "error"


def test_half_typed_cell_and_unload(kernel: Kernel):
    kernel.run("import bayesflow as bf\n")
    reply, msgs = kernel.run("wf = bf.BasicWorkflow(\n")
    assert reply["ename"] == "SyntaxError"  # Python's own error; bflint shows its BF000
    assert "BF000" in displays(msgs)[0]["text/plain"]
    reply, _ = kernel.run("%unload_ext bflint")
    assert reply["status"] == "ok"
    reply, msgs = kernel.run("adapter = bf.Adapter()\n" + WORKFLOW_CELL)
    assert reply["status"] == "ok" and not displays(msgs)
