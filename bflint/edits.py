"""From a rule's :class:`~bflint.rule.Fix` to a finding's JSON ``fix``, and
the helpers rules use to build safe fixes. Below the engine (which converts
every report's fix) and below ``bflint.fix`` (which applies them): rules and
the engine import this, never ``bflint.fix``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_NODE_FORMS = ("before", "after", "lines", "line_start")


def _targets(fix) -> Iterable[object]:
    for e in fix.edits:
        t = e.target
        if isinstance(t, tuple) and len(t) == 3 and t[0] == "span":
            yield t[1][1]
            yield t[2][1]
        elif isinstance(t, tuple) and len(t) == 2 and t[0] in _NODE_FORMS:
            yield t[1]
        elif not isinstance(t, tuple):
            yield t


def edit_nodes(fix) -> list:
    """The nodes whose positions the fix needs."""
    return [t for t in _targets(fix) if t is not None]


def to_json(fix, positions: dict) -> dict[str, Any] | None:
    """``{"applicability", "message", "edits": [{"content", "location",
    "end_location"}]}``; None when a node has no position."""
    edits = []
    for e in fix.edits:
        t = e.target
        if isinstance(t, tuple) and len(t) == 3 and t[0] == "span":
            a, b = positions.get(t[1][1]), positions.get(t[2][1])
            if a is None or b is None:
                return None
            start = (a[0], a[1]) if t[1][0] == "start" else (a[2], a[3])
            end = (b[0], b[1]) if t[2][0] == "start" else (b[2], b[3])
            rng = (*start, *end)
        elif isinstance(t, tuple) and len(t) == 2 and t[0] in _NODE_FORMS:
            pos = positions.get(t[1])
            if pos is None:
                return None
            if t[0] == "lines":  # the node's whole lines, line break included
                rng = (pos[0], 1, pos[2] + 1, 1)
            elif t[0] == "line_start":  # insert at the start of the node's first line
                rng = (pos[0], 1, pos[0], 1)
            else:
                r, c = (pos[0], pos[1]) if t[0] == "before" else (pos[2], pos[3])
                rng = (r, c, r, c)
        elif isinstance(t, tuple) and len(t) == 4:
            rng = (int(t[0]), int(t[1]), int(t[2]), int(t[3]))
        else:
            found = positions.get(t)
            if found is None:
                return None
            rng = found
        edits.append({"content": e.content,
                      "location": {"row": rng[0], "column": rng[1]},
                      "end_location": {"row": rng[2], "column": rng[3]}})
    if not edits:
        return None
    edits.sort(key=lambda d: (d["location"]["row"], d["location"]["column"]))
    return {"applicability": fix.applicability, "message": fix.message, "edits": edits}



def unique_match(name: str, candidates, cutoff: float = 0.8) -> str | None:
    """The spelling correction when exactly one candidate is close (difflib
    ratio >= cutoff, 0.8 by default): what a safe rename fix may use."""
    import difflib  # start-up: a cached run imports this module, only a correction needs difflib

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=2, cutoff=cutoff)
    return matches[0] if len(matches) == 1 else None


def quoted_like(node, text: str) -> str | None:
    """``text`` as a string literal in the quotes (and prefix) of ``node``,
    a simple string literal; None for other nodes or unsafe contents."""
    import libcst as cst  # start-up: the engine imports this module before any file needs LibCST

    if not isinstance(node, cst.SimpleString) or "\\" in text or "\n" in text:
        return None
    quote = node.quote
    if quote in text:
        return None
    return node.prefix + quote + text + quote
