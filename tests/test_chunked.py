"""A large file parsed in pieces gives the tree of one parse (bflint.chunked)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from bflint import chunked, engine

ROOT = Path(__file__).resolve().parents[1]
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _same_or_none(text: str, every: int, min_lines: int) -> bool:
    """parse_in_pieces' tree, when it gives one, is the full parse's; True when it gave one."""
    pieces = chunked.parse_in_pieces(cst.parse_module, text, every=every, min_lines=min_lines)
    if pieces is None:
        return False
    full = cst.parse_module(text)
    assert pieces.deep_equals(full)
    assert pieces.code == full.code
    # deep_equals covers every field, header and footer included; the scalars once more by name
    for attr in ("encoding", "default_indent", "default_newline", "has_trailing_newline"):
        assert getattr(pieces, attr) == getattr(full, attr), attr
    return True


def _sources(limit: int) -> list[Path]:
    files = sorted(STDLIB.glob("*.py"), key=lambda p: -p.stat().st_size)
    return files[:limit]


def test_standard_library_files_cut_often() -> None:
    """Cuts every 40 lines over the standard library's largest modules (docstrings,
    decorators, else/except clauses, nested classes, form feeds, comments at seams)."""
    used = 0
    for path in _sources(25):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        try:
            cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        used += _same_or_none(text, every=40, min_lines=80)
    assert used >= 20  # the pieces stood for the whole in most files


def test_repository_sources_cut_often() -> None:
    files = [*sorted((ROOT / "bflint").rglob("*.py")), *sorted((ROOT / "examples").glob("*.py")),
             *sorted((ROOT / "tests" / "fixtures").rglob("*.py"))]
    used = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        used += _same_or_none(text, every=12, min_lines=30)
    assert used >= 50


STATEMENT = "x_{k} = compute({k})  # a comment\n"

EDGE_CASES = {
    "else at column 0 after a cut candidate": "".join(
        f"if a_{k}:\n    y = {k}\nelse:\n    y = -{k}\n" for k in range(60)),
    "docstring with code-like lines": "".join(
        f'"""doc {k}\ndef fake_{k}():\nreturn\n"""\nz_{k} = 1\n' for k in range(60)),
    "single-quoted triple strings": "".join(
        f"s_{k} = '''\nimport os\nfor x in y:\n'''\nt_{k} = 2\n" for k in range(60)),
    "decorators": "".join(f"@dec_{k}\ndef f_{k}():\n    return {k}\n" for k in range(60)),
    "comments and blank lines between statements": "".join(
        f"# comment {k}\n\nv_{k} = {k}\n\n\n" for k in range(60)),
    "brackets spanning lines": "".join(
        f"data_{k} = [\nitem_{k},\nother_{k},\n]\n" for k in range(60)),
    "backslash continuations": "".join(f"w_{k} = 1 + \\\nvalue_{k}\n" for k in range(60)),
    "tabs": "".join(f"def f_{k}():\n\treturn {k}\n" for k in range(60)),
    "tabs after a block-free start": "".join(STATEMENT.format(k=k) for k in range(40))
    + "".join(f"def f_{k}():\n\treturn {k}\n" for k in range(40)),
    "two-space indentation": "".join(f"class C_{k}:\n  a = {k}\n" for k in range(60)),
    "CRLF": "".join(STATEMENT.format(k=k).replace("\n", "\r\n") for k in range(120)),
    "CR only": "".join(STATEMENT.format(k=k).replace("\n", "\r") for k in range(120)),
    "mixed newlines": "".join(STATEMENT.format(k=k).replace("\n", "\r\n" if k > 70 else "\n")
                              for k in range(120)),
    "no trailing newline": "".join(STATEMENT.format(k=k) for k in range(120)).rstrip("\n"),
    "trailing comment footer": "".join(STATEMENT.format(k=k) for k in range(120)) + "\n# end\n",
    "form feeds": "".join(f"\x0cq_{k} = {k}\n" if k % 7 == 0 else STATEMENT.format(k=k)
                          for k in range(120)),
    "coding cookie": "# -*- coding: latin-1 -*-\n" + "".join(STATEMENT.format(k=k)
                                                            for k in range(120)),
    "match statements": "".join(f"match v_{k}:\n    case 1:\n        pass\n" for k in range(60)),
    "whitespace-only lines after blocks": "".join(
        f"def f_{k}():\n    return {k}\n    \n\t\n\ng_{k} = 1\n" for k in range(60)),
    "indented comments after blocks": "".join(
        f"def f_{k}():\n    return {k}\n    # tail {k}\n\n# lead {k}\ng_{k} = 1\n"
        for k in range(60)),
    "comment lines only between blocks": "".join(
        f"class C_{k}:\n    x = {k}\n# between {k}\n\n\nclass D_{k}:\n    y = {k}\n"
        for k in range(60)),
    "try/except/finally": "".join(
        f"try:\n    a_{k}()\nexcept E:\n    pass\nfinally:\n    b_{k}()\n" for k in range(60)),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_match_the_full_parse(name: str) -> None:
    _same_or_none(EDGE_CASES[name], every=10, min_lines=20)


def test_plain_statements_are_cut() -> None:
    """The path is taken (the test above must not pass by always falling back)."""
    for name in ("decorators", "comments and blank lines between statements", "CRLF",
                 "whitespace-only lines after blocks", "comment lines only between blocks",
                 "two-space indentation", "docstring with code-like lines", "match statements"):
        assert _same_or_none(EDGE_CASES[name], every=10, min_lines=20), name


def test_syntax_error_in_a_later_piece_falls_back() -> None:
    text = "".join(STATEMENT.format(k=k) for k in range(200)) + "def broken(:\n    pass\n"
    assert chunked.parse_in_pieces(cst.parse_module, text, every=10, min_lines=20) is None
    with pytest.raises(cst.ParserSyntaxError):
        engine.parse_module(text * 20)  # the full parse reports it


def test_small_texts_are_parsed_whole() -> None:
    text = "".join(STATEMENT.format(k=k) for k in range(chunked.MIN_LINES - 1))
    assert chunked.parse_in_pieces(cst.parse_module, text) is None


def test_findings_of_a_large_file_are_the_same(monkeypatch) -> None:
    """engine.check_text over a file above MIN_LINES: pieces or one parse, the same findings."""
    seed = "\n\n".join(p.read_text() for p in sorted((ROOT / "examples").glob("*.py")))
    text = "\n\n".join([seed] * max(1, (chunked.MIN_LINES * 2) // max(1, seed.count("\n"))))
    assert text.count("\n") > chunked.MIN_LINES
    enabled = engine._enabled()
    calls = []
    real = chunked.parse_in_pieces

    def spy(*a, **k):
        out = real(*a, **k)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(chunked, "parse_in_pieces", spy)
    pieces = engine.check_text(text, "big.py", enabled)
    assert calls == [True]
    monkeypatch.setattr(chunked, "parse_in_pieces", lambda *a, **k: None)
    whole = engine.check_text(text, "big.py", enabled)
    assert [f.to_json() for f in pieces] == [f.to_json() for f in whole]
    assert pieces
