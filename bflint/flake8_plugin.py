"""bflint as a flake8 plugin: ``flake8 --select BF``.

flake8 hands the plugin the file's ``lines`` and ``filename``; the same
engine as the ``bflint`` command checks them (every rule; flake8's own
``--select`` / ``--ignore`` / ``# noqa`` then filter the codes). Findings are
reported as ``(row, column0, "BF302 message", type)``."""

from __future__ import annotations

from collections.abc import Iterator

from bflint import __version__, engine


class Plugin:
    name = "bflint"
    version = __version__

    def __init__(self, tree=None, lines: list[str] | None = None, filename: str = "stdin") -> None:
        self.lines = lines or []
        self.filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        source = "".join(self.lines)
        if not engine.may_need_analysis(source):
            return
        if self.filename.endswith(".ipynb"):  # flake8 does not read notebooks as JSON
            return
        enabled = engine._enabled(None)
        for f in engine.check_source(source, self.filename, enabled):
            yield f.row, max(f.column - 1, 0), f"{f.code} {f.message}", type(self)
