"""A warm run pays only for what it uses (issue 18 §2): a run whose files all hit the
cache (or fail the pre-filter) imports neither LibCST, nor the model, nor the rules,
nor what only other paths need (the fixers, TOML without a configuration file,
importlib.resources for the packaged data, difflib's suggestions, tracebacks), and
compiles no regular expression of bflint's at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NOT_ON_THE_WARM_PATH = ("libcst", "bflint.model", "bflint.semantic", "bflint.analyze", "bflint.rules.",
                        "bflint.fix", "bflint.notebook_fix", "bflint.add_noqa", "importlib.resources",
                        "tomllib", "difflib", "_hashlib", "traceback")


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


def test_cached_run_imports_only_what_it_uses(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text(
        "import bayesflow as bf\nwf = bf.BasicWorkflow()\nwf.fit_offline(data, epochs=2)\n")
    (tmp_path / "plain.py").write_text("x = 1\n")
    cmd = [sys.executable, "-X", "importtime", "-m", "bflint", "check", "one.py", "plain.py"]
    cold = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "libcst" in _imported(cold.stderr)  # the cold run analysed one.py
    warm = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "BF" in warm.stdout and warm.stdout == cold.stdout
    heavy = sorted(m for m in _imported(warm.stderr)
                   if any(m == n or m.startswith(n if n.endswith(".") else n + ".")
                          for n in NOT_ON_THE_WARM_PATH))
    assert heavy == []


def test_module_patterns_compile_on_first_use() -> None:
    code = ("import bflint.cli, bflint.output as o, bflint.suppression as s, bflint.source as src\n"
            "lazy = [v for m in (o, s, src) for v in vars(m).values() if isinstance(v, src.LazyPattern)]\n"
            "assert len(lazy) >= 6 and all(v._compiled is None for v in lazy), lazy\n"
            "assert o.safe('a\\x1bb') == 'a\\u241bb' and o._UNSAFE._compiled is not None\n"
            "assert o._UNSAFE.pattern.startswith('[')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# -- the dataclass code table (bflint.codecache) ------------------------------------

def _code_env(tmp_path: Path) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",
                                                             "BFLINT_NO_CODE_CACHE")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    return env


def test_code_table_gives_the_same_classes_and_a_second_run_compiles_nothing(tmp_path: Path) -> None:
    code = ("import sys, bflint.codecache as cc\n"
            "assert cc.install()\n"
            "import libcst\n"
            "m = libcst.parse_module('x = f(1)\\n')\n"
            "assert m.code == 'x = f(1)\\n' and m.deep_equals(libcst.parse_module('x = f(1)\\n'))\n"
            "assert repr(libcst.Name('a')).startswith('Name(') and libcst.Name('a').value == 'a'\n"
            "print(len(cc._new), len(cc._table))\n")
    env = _code_env(tmp_path)
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    new, old = map(int, first.stdout.split())
    assert new > 300 and old == 0  # LibCST's methods, compiled and then written at exit
    stored = tmp_path / "xdg" / "bflint"
    assert [p.name for p in stored.iterdir()] == [f"dataclass-code-{sys.implementation.cache_tag}.bin"]
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["0", str(new)]
    # Python told not to write byte code: the table is read, never written
    (stored / f"dataclass-code-{sys.implementation.cache_tag}.bin").unlink()
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    third = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           timeout=120)
    assert third.returncode == 0 and list(stored.iterdir()) == []


def test_code_table_methods_equal_compiled_ones() -> None:
    import dataclasses

    from bflint import codecache

    def make():
        @dataclasses.dataclass(frozen=True, order=True)
        class A:
            x: int
            y: list = dataclasses.field(default_factory=list)
            z: str = "z"

        @dataclasses.dataclass(slots=True, kw_only=True, eq=True, unsafe_hash=True)
        class B:
            a: int = 0
            b: "A | None" = None
        return A, B

    plain = make()
    installed = codecache.install()
    try:
        cached = make()  # compiled by the table's exec (and kept in _new)
        again = make()   # taken from it
    finally:
        if installed:
            codecache.uninstall()
    for names in (("__init__", "__repr__", "__eq__", "__lt__", "__setattr__", "__hash__"),
                  ("__init__", "__repr__", "__eq__", "__hash__")):
        for p, c, a in zip(plain, cached, again):
            for name in names:
                f = getattr(p, name, None)
                if f is None or not hasattr(f, "__code__"):
                    continue
                assert f.__code__ == getattr(c, name).__code__ == getattr(a, name).__code__, name
                assert f.__annotations__ == getattr(a, name).__annotations__
    assert again[0](1, [2]) < again[0](2) and repr(again[1](a=1)).endswith("B(a=1, b=None)")


def test_code_table_ignores_damaged_foreign_and_writable_files(tmp_path: Path, monkeypatch) -> None:
    import marshal
    import os

    from bflint import codecache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = Path(codecache.table_path())
    path.parent.mkdir(parents=True)
    good = codecache._header() + marshal.dumps({"x = 1": compile("x = 1", "<string>", "exec")})
    path.write_bytes(good)
    path.chmod(0o600)
    assert list(codecache._read(str(path))) == ["x = 1"]
    for bad in (good[:-3], b"other" + good, codecache._header() + marshal.dumps({"x": 1}),
                codecache._header() + marshal.dumps([1])):
        path.write_bytes(bad)
        assert codecache._read(str(path)) == {}
    path.write_bytes(good)
    path.chmod(0o666)  # others may write it: it could hold anyone's code
    assert codecache._read(str(path)) == {}
    path.chmod(0o600)
    link = path.with_name("link.bin")
    os.symlink(path, link)
    assert codecache._read(str(link)) == {}


def test_a_cached_run_reads_no_code_table(tmp_path: Path) -> None:
    """The table is read at the first dataclass created after the CLI starts: a run
    whose files all hit the cache creates none (and imports no LibCST)."""
    (tmp_path / "one.py").write_text(
        "import bayesflow as bf\nwf = bf.BasicWorkflow()\nwf.fit_offline(data, epochs=2)\n")
    code = ("import atexit, sys\nimport bflint.codecache as cc\n"
            "atexit.register(lambda: print('TABLE', cc._loaded, 'libcst' in sys.modules, file=sys.stderr))\n"
            "from bflint.cli import main\nsys.argv = ['bflint', 'one.py']\nmain()\n")
    env = _code_env(tmp_path)
    runs = [subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120) for _ in range(2)]
    assert [r.stderr.split("TABLE")[-1].split() for r in runs] == [["True", "True"], ["False", "False"]]
    assert runs[0].stdout == runs[1].stdout and "BF" in runs[0].stdout


def test_plain_paths_run_without_click_and_give_the_click_commands_output(tmp_path: Path) -> None:
    """``bflint [check] PATHS...`` with no option skips click's import (bflint.entry); the
    output and exit code are those of the click command, which options still go through."""
    (tmp_path / "one.py").write_text(
        "import bayesflow as bf\nwf = bf.BasicWorkflow()\nwf.fit_offline(data, epochs=2)\n")
    (tmp_path / "plain.py").write_text("x = 1\n")
    via_click = [sys.executable, "-c",
                 "import sys; from bflint.cli import main; sys.argv[0] = 'bflint'; main()"]
    for args in (["one.py", "plain.py"], ["check", "one.py"], ["missing.py"], []):
        fast = subprocess.run([sys.executable, "-X", "importtime", "-m", "bflint", *args],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        slow = subprocess.run([*via_click, *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert "click" not in _imported(fast.stderr), args
        assert (fast.stdout, fast.returncode) == (slow.stdout, slow.returncode), args
        assert [ln for ln in fast.stderr.splitlines() if not ln.startswith("import time:")] == \
            slow.stderr.splitlines(), args
    with_option = subprocess.run([sys.executable, "-X", "importtime", "-m", "bflint", "--no-cache",
                                  "one.py"], cwd=tmp_path, capture_output=True, text=True,
                                 timeout=120)
    assert "click" in _imported(with_option.stderr)
    assert with_option.returncode == 1 and "BF302" in with_option.stdout


def test_the_console_script_knows_every_command_of_the_click_group() -> None:
    """bflint.entry keeps its own list of the first words click dispatches on (it must not
    import click to read them): the two agree."""
    from bflint import cli, entry

    assert entry.COMMANDS == set(cli.main.commands) | set(cli._LAZY)
