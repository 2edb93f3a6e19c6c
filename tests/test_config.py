"""Configuration: [tool.bflint] in pyproject.toml / bflint.toml, searched
upward; command-line options override; bad configs exit 2; gitignore."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bflint import config

BAD = ("import bayesflow as bf\n"
       "workflow = bf.BasicWorkflow(inference_network=None)\n"
       "history = workflow.fit_offline(data=1, epochs=2)\n")
BROKEN = "import bayesflow as bf\ndef f(:\n"


@pytest.fixture
def proj(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(BAD)
    (tmp_path / "src" / "broken.py").write_text(BROKEN)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.py").write_text(BAD)
    return tmp_path


def codes(res):
    return sorted((line.split(":")[0], line.split(": ")[1].split()[0])
                  for line in res.output.splitlines() if ": BF" in line)


def write(p: Path, text: str) -> Path:
    p.write_text(text)
    return p


def test_no_config_everything_runs(proj, run_cli):
    res = run_cli("--select", "BF000,BF302", ".")
    assert codes(res) == [("src/broken.py", "BF000"), ("src/train.py", "BF302"), ("tests/t.py", "BF302")]


def test_select_and_ignore_from_pyproject(proj, run_cli):
    write(proj / "pyproject.toml", '[project]\nname = "x"\n\n[tool.bflint]\nselect = ["BF000", "BF302"]\n'
          'ignore = ["BF3"]\n')
    res = run_cli(".")
    assert codes(res) == [("src/broken.py", "BF000"), ("src/train.py", "BF302"), ("tests/t.py", "BF302")]
    write(proj / "pyproject.toml", '[project]\nname = "x"\n\n[tool.bflint]\nselect = ["BF000", "BF302"]\n'
          'ignore = ["BF302"]\n')
    res = run_cli(".")
    assert codes(res) == [("src/broken.py", "BF000")]
    # the command line overrides: --select replaces, --extend-select adds
    assert ("src/train.py", "BF302") in codes(run_cli("--select", "BF302", "."))
    assert ("src/train.py", "BF302") in codes(run_cli("--extend-select", "BF302", "."))
    # --ignore on top of the file's selection
    assert codes(run_cli("--ignore", "BF000", ".")) == []


def test_extend_select(proj, run_cli):
    write(proj / "bflint.toml", 'select = ["BF000"]\nextend-select = ["BF302"]\n')
    assert {c for _, c in codes(run_cli("."))} == {"BF000", "BF302"}


def test_config_found_upward_from_the_checked_path(proj, run_cli, monkeypatch):
    write(proj / "pyproject.toml", '[tool.bflint]\nselect = ["BF000"]\n')
    monkeypatch.chdir(proj / "src")
    assert codes(run_cli(".")) == [("broken.py", "BF000")]
    other = proj.parent / (proj.name + "_elsewhere")
    other.mkdir()
    monkeypatch.chdir(other)
    res = run_cli(str(proj / "src" / "train.py"), "--format", "json")
    assert '"BF302"' not in res.output  # the config next to the file applies, not the cwd's


def test_pyproject_without_table_is_skipped(proj, run_cli):
    write(proj / "pyproject.toml", '[tool.bflint]\nselect = ["BF000"]\n')
    write(proj / "src" / "pyproject.toml", '[project]\nname = "inner"\n')
    assert codes(run_cli("src")) == [("src/broken.py", "BF000")]


def test_bflint_toml_wins_in_the_same_directory(proj, run_cli):
    write(proj / "pyproject.toml", '[tool.bflint]\nselect = ["BF000"]\n')
    write(proj / "bflint.toml", 'select = ["BF302"]\n')
    # parse errors are reported whatever the selection (a broken file is never "clean")
    assert {c for _, c in codes(run_cli("."))} == {"BF000", "BF302"}


def test_isolated_and_explicit_config(proj, run_cli):
    write(proj / "pyproject.toml", '[tool.bflint]\nselect = ["BF000"]\n')
    assert {c for _, c in codes(run_cli("--isolated", "--select", "BF000,BF302", "."))} == {"BF000", "BF302"}
    cfg = write(proj / "custom.toml", 'select = ["BF302"]\n')
    assert {c for _, c in codes(run_cli("--config", str(cfg), "."))} == {"BF000", "BF302"}
    assert {c for _, c in codes(run_cli("--config", str(cfg), "--ignore", "BF000", "."))} == {"BF302"}


def test_exclude_and_extend_exclude(proj, run_cli):
    write(proj / "bflint.toml", 'select = ["BF000", "BF302"]\nexclude = ["tests/"]\n')
    assert [f for f, _ in codes(run_cli("."))] == ["src/broken.py", "src/train.py"]
    write(proj / "bflint.toml", 'select = ["BF000", "BF302"]\nextend-exclude = ["broken.py"]\n')
    assert [f for f, _ in codes(run_cli("."))] == ["src/train.py", "tests/t.py"]
    # --exclude replaces the file's exclude, --extend-exclude adds
    write(proj / "bflint.toml", 'select = ["BF000", "BF302"]\nexclude = ["tests"]\n')
    assert [f for f, _ in codes(run_cli("--exclude", "src", "."))] == ["tests/t.py"]
    assert [f for f, _ in codes(run_cli("--extend-exclude", "train.py", "."))] == ["src/broken.py"]


def test_explicit_files_and_force_exclude(proj, run_cli):
    write(proj / "bflint.toml", 'select = ["BF302"]\nexclude = ["tests/"]\n')
    assert codes(run_cli("tests/t.py")) == [("tests/t.py", "BF302")]  # named explicitly: checked
    assert codes(run_cli("--force-exclude", "tests/t.py")) == []
    write(proj / "bflint.toml", 'select = ["BF302"]\nexclude = ["tests/"]\nforce-exclude = true\n')
    assert codes(run_cli("tests/t.py")) == []
    res = run_cli("--stdin-filename", "tests/t.py", "-", input=BAD)
    assert res.exit_code == 0


def test_per_file_ignores(proj, run_cli):
    write(proj / "pyproject.toml", '[tool.bflint]\nselect = ["BF000", "BF302"]\n'
          '[tool.bflint.per-file-ignores]\n"tests/*" = ["BF3"]\n"broken.py" = ["BF000"]\n')
    assert codes(run_cli(".")) == [("src/train.py", "BF302")]
    res = run_cli("--format", "json", "-", "--stdin-filename", "tests/x.py", input=BAD)
    assert res.output.strip() == "[]"


def test_per_file_ignores_globs():
    root = Path("/proj")
    pfi = {"**/notebooks/*.py": ["BF302"], "scripts/": ["BF000"], "!keep_*.py": ["BF101"]}
    assert config.ignored_codes_for("/proj/a/notebooks/x.py", pfi, root, ["BF302", "BF000", "BF101"]) \
        == {"BF302", "BF101"}
    assert config.ignored_codes_for("/proj/notebooks/x.py", pfi, root, ["BF302", "BF101"]) == {"BF302", "BF101"}
    assert config.ignored_codes_for("/proj/scripts/deep/y.py", pfi, root, ["BF000", "BF101"]) \
        == {"BF000", "BF101"}
    assert config.ignored_codes_for("/proj/keep_me.py", pfi, root, ["BF000", "BF101"]) == frozenset()


@pytest.mark.parametrize("text, message", [
    ('[tool.bflint]\nselct = ["BF3"]\n', "unknown key `tool.bflint.selct` (did you mean `select`?)"),
    ('[tool.bflint]\nselect = ["BF3"]\nfoo = 1\n', "unknown key `tool.bflint.foo`"),
    ('[tool.bflint]\nselect = ["BF777"]\n', "unknown rule selector `BF777`"),
    ('[tool.bflint]\nignore = ["XYZ"]\n', "unknown rule selector `XYZ`"),
    ('[tool.bflint]\nselect = 3\n', "`tool.bflint.select` must be a list of strings"),
    ('[tool.bflint]\nselect = [1, 2]\n', "`tool.bflint.select` must be a list of strings"),
    ('[tool.bflint]\nrespect-gitignore = "yes"\n', "`tool.bflint.respect-gitignore` must be true or false"),
    ('[tool.bflint]\nper-file-ignores = ["x"]\n', "must be a table"),
    ('[tool.bflint.per-file-ignores]\n"a/*" = ["BF999x"]\n', "unknown rule selector `BF999X`"),
    ('[tool.bflint]\nselect = ["BF3"\n', "invalid TOML"),
    ('[tool]\nbflint = 3\n', "`tool.bflint` must be a table"),
])
def test_bad_config_is_exit_2(proj, run_cli, text, message):
    write(proj / "pyproject.toml", text)
    res = run_cli(".")
    assert res.exit_code == 2
    assert "bflint: error:" in res.output and "pyproject.toml" in res.output
    assert message in res.output


def test_bad_explicit_config_file(proj, run_cli):
    assert run_cli("--config", "missing.toml", ".").exit_code == 2
    write(proj / "empty.toml", "")
    assert run_cli("--config", "empty.toml", "--select", "BF302", ".").exit_code == 1
    write(proj / "pyproject.toml", "[project]\n")
    res = run_cli("--config", "pyproject.toml", ".")
    assert res.exit_code == 2 and "no [tool.bflint] table" in res.output


def test_string_is_accepted_as_a_one_element_list():
    cfg = config.parse({"select": "BF3"})
    assert cfg.select == ["BF3"]


# -- gitignore -------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@needs_git
def test_gitignored_files_are_skipped(proj, run_cli):
    _git(proj, "init", "-q")
    write(proj / ".gitignore", "tests/\n*.tmp.py\n")
    write(proj / "src" / "scratch.tmp.py", BAD)
    res = run_cli("--select", "BF302", "--ignore", "BF000", ".")
    assert codes(res) == [("src/train.py", "BF302")]
    assert "(2 files checked)" in res.output
    # explicitly named files are checked anyway
    assert codes(run_cli("--select", "BF302", "tests/t.py")) == [("tests/t.py", "BF302")]
    # switched off on the command line or in the file
    assert len(codes(run_cli("--select", "BF302", "--ignore", "BF000", "--no-respect-gitignore", "."))) == 3
    write(proj / "bflint.toml", "respect-gitignore = false\n")
    assert len(codes(run_cli("--select", "BF302", "--ignore", "BF000", "."))) == 3


@needs_git
def test_tracked_files_follow_the_gitignore_as_in_ruff(proj, run_cli):
    """bflint reads .gitignore files (it never runs git), as ruff does: a
    tracked file that matches is skipped in a walk, checked when named."""
    _git(proj, "init", "-q")
    _git(proj, "add", "tests/t.py")
    write(proj / ".gitignore", "tests/\n")
    assert ("tests/t.py", "BF302") not in codes(run_cli("--select", "BF302", "."))
    assert ("tests/t.py", "BF302") in codes(run_cli("--select", "BF302", "tests/t.py"))


def test_not_a_git_repo_is_silent(proj, run_cli, monkeypatch):
    write(proj / ".gitignore", "tests/\n")  # outside a work tree it means nothing (ruff)
    res = run_cli("--select", "BF302", ".")
    assert res.exit_code == 1 and "fatal" not in res.output
    assert ("tests/t.py", "BF302") in codes(res)
    assert config.git_ignored([]) == set()


def test_git_missing_changes_nothing(proj, monkeypatch, run_cli):
    (proj / ".git").mkdir()
    write(proj / ".gitignore", "tests/\n")
    monkeypatch.setenv("PATH", str(proj / "nothing-here"))
    assert config.git_ignored([proj / "tests" / "t.py", proj / "src" / "train.py"]) == {
        str(proj / "tests" / "t.py")}
    assert ("tests/t.py", "BF302") not in codes(run_cli("--select", "BF302", "."))
