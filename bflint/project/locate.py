"""Findings whose cause is in another module of the project (issue 12).

A rule may report a node of an imported module (the bounded draw in
``simulation.py`` of a workflow built here). The finding stays in the linted
file, at the rule's ``anchor`` when it gives one (the adapter's routing
call), else where the other module's value enters this file (the call of the
imported helper, the import); the message names the other file and line, and
the finding carries it as its related location (SARIF ``relatedLocations``)."""

from __future__ import annotations

import os


def _shown(path: str, here: str) -> str:
    """``path`` as the message names it: relative to the linted file's folder."""
    try:
        rel = os.path.relpath(path, os.path.dirname(os.path.abspath(here)))
    except ValueError:
        return path
    return rel if not rel.startswith(os.pardir + os.sep + os.pardir) else path


def relocate(model, reports, positions_of) -> dict:
    """id(report) -> ((row, col, end_row, end_col) in the linted file, message,
    related ``"row:col:path"``) for reports on nodes of other modules."""
    others = model.adopted()
    if not others:
        return {}
    owners: dict[int, tuple] = {}
    pending = list(reports)
    for other in others:
        if not pending:
            break
        # a summary walks some statements of its module: positions are in the whole module
        whole = getattr(other, "full_module", None) or other.module
        found = positions_of(whole, [rep.node for rep in pending], other.source)
        rest = []
        for rep in pending:
            if rep.node in found:
                owners[id(rep)] = (other, found[rep.node])
            else:
                rest.append(rep)
        pending = rest
    if not owners:
        return {}
    def preferred(rep) -> tuple:
        a = getattr(rep, "anchor", None)
        return () if a is None else a if isinstance(a, tuple) else (a,)

    anchors = list(model.project_entries)
    for rep in reports:
        anchors.extend(preferred(rep))
    local = positions_of(model.module, anchors, model.source) if anchors else {}
    fallback = next((local[a] for a in model.project_entries if a in local), None)
    out = {}
    for rep in reports:
        owner = owners.get(id(rep))
        if owner is None:
            continue
        other, (row, col, _, _) = owner
        where = next((local[a] for a in preferred(rep) if a in local), fallback)
        if where is None:
            continue
        path = os.path.abspath(other.filename)
        text = f"{rep.message} (the cause is in {_shown(path, model.filename)}:{row})"
        out[id(rep)] = (where, text, f"{row}:{col}:{path}")
    return out
