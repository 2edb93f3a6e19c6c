"""The base class of every rule (see ``rules/`` for the implementations)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar, Iterable, Iterator

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from bflint.model import SemanticModel


@dataclasses.dataclass
class Report:
    """What a rule reports: a node (positions are computed only for
    reported nodes) or an explicit 1-based (row, column), a message, and
    optionally a severity that overrides the rule's."""

    node: cst.CSTNode | None
    message: str
    severity: str | None = None
    position: tuple[int, int, int, int] | None = None


class Rule:
    """A bflint rule. Subclasses set the class attributes and implement
    :meth:`check`, which reads the shared :class:`~bflint.model.SemanticModel`
    and yields :class:`Report` objects (use :meth:`report`).

    ``MESSAGE`` is a ``str.format`` template; :meth:`report` fills it from
    keyword arguments. The class docstring is the rule's documentation, in
    ruff's sections: ``## What it does``, ``## Why is this bad?``,
    ``## Example``, ``## Use instead``."""

    CODE: ClassVar[str] = ""
    NAME: ClassVar[str] = ""
    SEVERITY: ClassVar[str] = "E"
    MESSAGE: ClassVar[str] = ""

    def check(self, model: "SemanticModel") -> Iterable[Report]:  # pragma: no cover
        return ()

    def report(self, node: cst.CSTNode | None, message: str | None = None, *,
               severity: str | None = None, **fields: object) -> Report:
        text = message if message is not None else self.MESSAGE.format(**fields)
        return Report(node, text, severity)

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


def first_arg_name(node: cst.CSTNode | None) -> str:
    """A short rendering of an expression for messages (``workflow``,
    ``self.wf``); falls back to ``...``."""
    from bflint.model import ref_key

    if node is None:
        return "..."
    key = ref_key(node)
    return key if key is not None else "..."


def iter_reports(rule: Rule, model: "SemanticModel") -> Iterator[Report]:
    yield from rule.check(model)
