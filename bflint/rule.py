"""The base class of every rule (see ``rules/`` for the implementations)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from bflint.semantic.cst_util import display_name

if TYPE_CHECKING:  # pragma: no cover
    from bflint.semantic.model import SemanticModel


@dataclasses.dataclass
class Edit:
    """Replace the source of ``target`` by ``content``. ``target`` is a node
    (its whole source range), a 1-based ``(row, column, end_row,
    end_column)`` range (end column exclusive; an empty range inserts),
    ``("before"|"after", node)`` to insert right before / after a node,
    ``("lines", node)`` for the node's whole lines (line breaks included) or
    ``("line_start", node)`` to insert at the start of the node's first line,
    or ``("span", ("start"|"end", node_a), ("start"|"end", node_b))`` for the
    text from the start / end of one node to the start / end of another.
    Text is written with ``\n``; it gets the file's line endings."""

    target: object
    content: str


@dataclasses.dataclass
class Fix:
    """An automatic fix. ``applicability``: ``"safe"`` (applied by
    ``--fix``: keeps the script's meaning except for the mistake) or
    ``"unsafe"`` (``--unsafe-fixes``: changes behaviour, review it)."""

    applicability: str
    message: str
    edits: list[Edit]

    @classmethod
    def safe(cls, message: str, *edits: Edit) -> "Fix":
        return cls("safe", message, list(edits))

    @classmethod
    def unsafe(cls, message: str, *edits: Edit) -> "Fix":
        return cls("unsafe", message, list(edits))


@dataclasses.dataclass
class Report:
    """What a rule reports: a node (positions are computed only for
    reported nodes) or an explicit 1-based (row, column), a message, and
    optionally a severity that overrides the rule's and a :class:`Fix`."""

    node: cst.CSTNode | None
    message: str
    severity: str | None = None
    position: tuple[int, int, int, int] | None = None
    fix: Fix | None = None
    help: str | None = None  # the fix title: what to do (ruff's ``fix_title``)
    # where to report when ``node`` is in another module of the project (issue 12):
    # a node of the linted file, or several in order of preference
    anchor: "cst.CSTNode | tuple[cst.CSTNode, ...] | None" = None


class Rule:
    """A bflint rule. Subclasses set the class attributes and implement
    :meth:`check`, which reads the shared :class:`~bflint.semantic.model.SemanticModel`
    and yields :class:`Report` objects (use :meth:`report`).

    ``MESSAGE`` is a ``str.format`` template of one short sentence saying what is
    wrong; ``FIX_TITLE`` (optional) the template of what to do about it (ruff's
    ``message()`` and ``fix_title()``). :meth:`report` fills both from the same
    keyword arguments. The class docstring is the rule's documentation, in
    ruff's sections: ``## What it does``, ``## Why is this bad?``,
    ``## Example``, ``## Use instead``."""

    CODE: ClassVar[str] = ""
    NAME: ClassVar[str] = ""
    SEVERITY: ClassVar[str] = "E"
    MESSAGE: ClassVar[str] = ""
    FIX_TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""  # one line for the "help:" of the full output (default: from "Use instead")

    def check(self, model: "SemanticModel") -> Iterable[Report]:  # pragma: no cover
        return ()

    def report(self, node: cst.CSTNode | None, message: str | None = None, *,
               severity: str | None = None, fix: Fix | None = None, help: str | None = None,
               anchor: "cst.CSTNode | tuple[cst.CSTNode, ...] | None" = None,
               **fields: object) -> Report:
        text = message if message is not None else self.MESSAGE.format(**fields)
        if help is None and self.FIX_TITLE and message is None:
            help = self.FIX_TITLE.format(**fields)
        if help and help[:1].islower():
            help = help[:1].upper() + help[1:]  # a title: ``{advice}`` fields are written lower-case
        return Report(node, text, severity, fix=fix, help=help, anchor=anchor)

    # -- documentation -------------------------------------------------------
    @classmethod
    def doc(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """The first sentence of the "What it does" section."""
        text = cls.doc()
        marker = "## What it does"
        if marker in text:
            text = text.split(marker, 1)[1]
        para = text.strip().split("\n\n", 1)[0].replace("\n", " ").strip()
        return para.split(". ")[0].rstrip(".") + "." if para else ""

    @classmethod
    def help(cls) -> str:
        """One line of advice: ``HELP``, else the first sentence of the
        "Use instead" section (before its code block)."""
        if cls.HELP:
            return cls.HELP
        text = cls.doc()
        marker = "## Use instead"
        if marker not in text:
            return ""
        text = text.split(marker, 1)[1].split("```", 1)[0]
        para = text.strip().split("\n\n", 1)[0].replace("\n", " ").strip()
        if not para:
            return ""
        first = para.split(". ")[0].split("; ")[0].rstrip(" .:")
        return first + "."


def first_arg_name(node: cst.CSTNode | None) -> str:
    """A short rendering of a receiver for messages: the script's own spelling
    (``workflow``, ``self.wf``, ``workflows[name]``); ``...`` for anything else
    (a call, an expression), which rules replace by words."""
    shown = display_name(node)
    return shown if shown is not None else "..."
