"""The BayesFlow version a project targets (issue 13 §5): the 2.0 and 2.1 API data, `--target-bayesflow`,
`target-bayesflow` in the configuration, detection from the project's pins (each format), through the
console script."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bflint import target

# valid 2.0.14 code (workflow.approximator, load_approximator), wrong under 2.1; and 2.1-only API
SCRIPT = """\
import bayesflow as bf
wf = bf.BasicWorkflow(inference_network=bf.networks.CouplingFlow(), standardize="all")
est = wf.approximator
loaded = wf.load_approximator
x = bf.BasicEstimator
"""


def _run(bflint_exe, cwd, *args, input=None):
    return subprocess.run([*bflint_exe, "--no-cache", "--format", "json", "--select", "BF9", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300, input=input)


def _codes_rows(proc):
    return sorted((f["location"]["row"], f["code"]) for f in json.loads(proc.stdout))


UNDER_21 = [(3, "BF903"), (4, "BF903")]
UNDER_20 = [(5, "BF903")]


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / ".git").mkdir()  # the repository root: detection stops here
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "src" / "train.py").write_text(SCRIPT)
    return root


PIN_FORMATS = {
    "pyproject-dependencies": {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["numpy", "bayesflow==2.0.13"]\n'},
    "pyproject-optional": {"pyproject.toml": '[project]\nname = "x"\ndependencies = []\n'
                                             '[project.optional-dependencies]\nbf = ["bayesflow[all] >=2.0, <2.1"]\n'},
    "pyproject-poetry": {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nbayesflow = "^2.0.5"\n'},
    "requirements": {"requirements.txt": "# pinned\nnumpy>=1.26\nbayesflow>=2.0  # the 2.0 API\n"},
    "requirements-dev": {"requirements-dev.txt": "-r requirements.txt\nBayesFlow~=2.0.13\n"},
    "environment-conda": {"environment.yml": "name: x\ndependencies:\n  - python=3.11\n  - bayesflow=2.0.14\n"},
    "environment-pip": {"environment.yml": "name: x\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
                                           "    - \"bayesflow==2.0.13\"\n"},
    "setup-cfg": {"setup.cfg": "[metadata]\nname = x\n[options]\ninstall_requires =\n    numpy\n"
                               "    bayesflow >= 2.0.10, < 2.1\n"},
    "setup-cfg-extras": {"setup.cfg": "[options.extras_require]\nbf =\n    bayesflow==2.0.14\n"},
}


@pytest.mark.parametrize("fmt", sorted(PIN_FORMATS))
def test_target_detected_from_each_pin_format(tmp_path, bflint_exe, fmt):
    root = _project(tmp_path, PIN_FORMATS[fmt])
    assert target.detect(root / "src" / "train.py")[0] == "2.0"
    proc = _run(bflint_exe, root, "src")
    assert _codes_rows(proc) == UNDER_20, proc.stdout
    msg = json.loads(proc.stdout)[0]["message"]
    assert "in BayesFlow 2.0" in msg  # the message says which version it judges against


@pytest.mark.parametrize("files", [
    {"requirements.txt": "bayesflow>=2.1\n"},
    {"requirements.txt": "bayesflow\n"},                      # unpinned: the latest
    {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["numpy"]\n'},  # no bayesflow pin
    {},
    {"requirements.txt": "bayesflow==1.1.6\n"},               # a 1.x pin: BF902's business, judged by the latest
    {"requirements.txt": "not-bayesflow==2.0.1\nbayesflow-extras==2.0\n"},  # other packages
])
def test_latest_when_nothing_pins_2_0(tmp_path, bflint_exe, files):
    root = _project(tmp_path, files)
    proc = _run(bflint_exe, root, "src")
    assert _codes_rows(proc) == UNDER_21, proc.stdout
    assert "in BayesFlow 2.1" in json.loads(proc.stdout)[0]["message"]


def test_option_and_config_win_over_pins(tmp_path, bflint_exe):
    root = _project(tmp_path, {"requirements.txt": "bayesflow==2.0.13\n"})
    assert _codes_rows(_run(bflint_exe, root, "--target-bayesflow", "2.1", "src")) == UNDER_21
    (root / "pyproject.toml").write_text('[tool.bflint]\ntarget-bayesflow = "2.1"\n')
    assert _codes_rows(_run(bflint_exe, root, "src")) == UNDER_21
    assert _codes_rows(_run(bflint_exe, root, "--target-bayesflow", "2.0", "src")) == UNDER_20
    (root / "pyproject.toml").write_text('[tool.bflint]\ntarget-bayesflow = "1.1"\n')
    proc = _run(bflint_exe, root, "src")
    assert proc.returncode == 2 and "target-bayesflow" in proc.stderr
    proc = _run(bflint_exe, root, "--isolated", "--target-bayesflow", "3", "src")
    assert proc.returncode == 2 and "--target-bayesflow" in proc.stderr


def test_stdin_uses_the_stdin_filename_project(tmp_path, bflint_exe):
    root = _project(tmp_path, {"requirements.txt": "bayesflow==2.0.13\n"})
    proc = _run(bflint_exe, tmp_path, "--stdin-filename", str(root / "src" / "x.py"), "-", input=SCRIPT)
    assert _codes_rows(proc) == UNDER_20


def test_two_projects_in_one_run_and_the_cache(tmp_path, bflint_exe):
    """Each file is judged by its own project's pin; a cached result is never reused for the other
    target (the pin is part of the cache key)."""
    old = _project(tmp_path / "a", {"requirements.txt": "bayesflow==2.0.13\n"})
    new = _project(tmp_path / "b", {"requirements.txt": "bayesflow==2.1.0\n"})
    cache = tmp_path / "cache"
    cmd = [*bflint_exe, "--format", "json", "--select", "BF9", "--cache-dir", str(cache)]
    proc = subprocess.run([*cmd, str(old), str(new)], capture_output=True, text=True, timeout=300)
    got = sorted((Path(f["filename"]).parts[-4], f["location"]["row"]) for f in json.loads(proc.stdout))
    assert got == [("a", 5), ("b", 3), ("b", 4)]
    (old / "requirements.txt").write_text("bayesflow==2.1.0\n")
    proc = subprocess.run([*cmd, str(old)], capture_output=True, text=True, timeout=300)
    assert _codes_rows(proc) == UNDER_21


def test_notebook_and_fix_use_the_target(tmp_path, bflint_exe):
    """--fix under 2.0 leaves `wf.approximator` alone (valid there); under 2.1 it renames it."""
    root = _project(tmp_path, {"requirements.txt": "bayesflow==2.0.14\n"})
    script = root / "src" / "train.py"
    subprocess.run([*bflint_exe, "--no-cache", "--fix", str(script)], capture_output=True, timeout=300)
    assert "wf.approximator" in script.read_text()
    subprocess.run([*bflint_exe, "--no-cache", "--fix", "--target-bayesflow", "2.1", str(script)],
                   capture_output=True, timeout=300)
    assert "wf.estimator" in script.read_text()


@pytest.mark.parametrize("spec, series", [
    ("==2.0.13", "2.0"), (">=2.0", "2.0"), (">=2.0,<2.1", "2.0"), ("~=2.0", "2.0"), ("~=2.0.3", "2.0"),
    ("^2.0", "2.0"), ("==2.0.*", "2.0"), ("<2.1", "2.0"), (">=2.1", "2.1"), ("==2.1.0", "2.1"),
    ("!=2.0.*", "2.1"), (">2.0.99", "2.1"), ("", "2.1"), ("==1.1.6", None), (">=2.2", None),
])
def test_series_of_specifiers(spec, series):
    assert target.series_of(spec) == series


def test_normalize():
    assert target.normalize("2.0.14") == "2.0" and target.normalize("v2.1") == "2.1"
    assert target.normalize("latest") == target.LATEST
    with pytest.raises(target.TargetError):
        target.normalize("2.2")
