"""Positions of the reported nodes only, the same as LibCST's
``PositionProvider`` gives, at about the cost of plain code generation.

``MetadataWrapper.resolve(PositionProvider)`` records a ``CodeRange`` for
every node of the module through a generator context manager per node and a
regex split per token: on a large file it costs more than the parse. Here the
module is generated once with a light state that tracks line and column,
records ranges only inside the reported nodes (their ``start_node`` /
``end_node`` children are needed for the syntactic ranges) and stops as soon
as the last reported node has been generated.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from libcst import CSTNode, Module

try:  # private in LibCST: fall back to PositionProvider if it moves
    from libcst._nodes.internal import CodegenState
except ImportError:  # pragma: no cover
    CodegenState = object  # type: ignore[misc,assignment]

_NEWLINE = re.compile(r"\r\n?|\n")


class _Done(Exception):
    pass


class _Null:
    __slots__ = ()

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_NULL = _Null()


class _Recorder:
    __slots__ = ("state", "node", "start_node", "end_node", "line", "column")

    def __init__(self, state, node, start_node, end_node):
        self.state, self.node = state, node
        self.start_node, self.end_node = start_node, end_node

    def __enter__(self):
        self.line, self.column = self.state.line, self.state.column
        return None

    def __exit__(self, *exc):
        st = self.state
        computed = st.computed
        start = (self.line, self.column)
        end = (st.line, st.column)
        if self.start_node is not None and self.start_node in computed:
            start = computed[self.start_node][:2]
        if self.end_node is not None and self.end_node in computed:
            end = computed[self.end_node][2:]
        computed[self.node] = (*start, *end)
        return False


@dataclasses.dataclass(frozen=False)
class _State(CodegenState):
    targets: frozenset = frozenset()
    line: int = 1
    column: int = 0
    inside: int = 0
    remaining: int = 0
    computed: dict = dataclasses.field(default_factory=dict)
    stack: list = dataclasses.field(default_factory=list)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)  # Module._codegen_impl looks at it
        if "\n" in value or "\r" in value:
            segments = _NEWLINE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def before_codegen(self, node: CSTNode) -> None:
        if self.inside or node in self.targets:
            if node in self.targets:
                self.inside += 1
            self.stack.append((node, self.line, self.column))

    def after_codegen(self, node: CSTNode) -> None:
        stack = self.stack
        if stack and stack[-1][0] is node:
            _, line, column = stack.pop()
            if node not in self.computed:  # a syntactic range was recorded inside
                self.computed[node] = (line, column, self.line, self.column)
            if node in self.targets:
                self.inside -= 1
                self.remaining -= 1
                if self.remaining <= 0 and not self.inside:
                    raise _Done

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        if not self.inside:
            return _NULL
        return _Recorder(self, node, start_node, end_node)


def positions(module: Module, nodes: Iterable[CSTNode]) -> dict[CSTNode, tuple[int, int, int, int]]:
    """1-based (row, column, end_row, end_column) of ``nodes`` (exclusive
    end column), as ``PositionProvider`` computes them; nodes that are not
    in ``module`` are left out."""
    targets = frozenset(nodes)
    if not targets:
        return {}
    if CodegenState is object:  # pragma: no cover
        return _provider_positions(module, targets)
    state = _State(default_indent=module.default_indent,
                   default_newline=module.default_newline,
                   targets=targets, remaining=len(targets))
    try:
        module._codegen(state)
    except _Done:
        pass
    except RecursionError:
        raise  # the engine retries on a deep stack
    except Exception:  # pragma: no cover - a LibCST change: the slow, public way
        return _provider_positions(module, targets)
    out = {}
    for n in targets:
        rng = state.computed.get(n)
        if rng is not None:
            out[n] = (rng[0], rng[1] + 1, rng[2], rng[3] + 1)
    return out


def _provider_positions(module: Module, targets) -> dict[CSTNode, tuple[int, int, int, int]]:
    from libcst.metadata import MetadataWrapper, PositionProvider

    ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    out = {}
    for n in targets:
        rng = ranges.get(n)
        if rng is not None:
            out[n] = (rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)
    return out
