"""Rule selection by code, prefix or group (``BF3``, ``BF30``, ``BF302``, ``ALL``, ``correctness``),
resolved like ruff: the most specific matching selector wins, and on a tie
``ignore`` wins. Parse, I/O and internal errors are always reported unless
ignored explicitly."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bflint.groups import GROUPS

# A file that could not be checked is never reported as clean: these stay on
# whatever --select says, unless a selector in --ignore names them.
ALWAYS = frozenset({"BF000", "BF001", "BF999"})


class SelectionError(ValueError):
    pass


def _normalise(selectors: Iterable[str]) -> list[str]:
    out = []
    for raw in selectors:
        for part in raw.replace(",", " ").split():
            out.append(part.strip().upper())
    return out


def _match_length(code: str, selectors: Sequence[str]) -> int:
    best = -1
    for s in selectors:
        if s == "ALL":
            best = max(best, 0)
        elif s.lower() in GROUPS:  # a group is as specific as ALL-but-one: any prefix beats it
            if code in GROUPS[s.lower()]:
                best = max(best, 1)
        elif code.startswith(s):
            best = max(best, len(s))
    return best


def split_option(values: Iterable[str], option: str) -> list[str]:
    """The selectors of a repeatable command-line option (``--select BF3,BF4
    --select BF5``). A value that names no selector (``--select ''``,
    ``--select ' , '``: an empty CI variable) is a usage error, as in ruff,
    never "no rule enabled" (issue 16 item 5)."""
    out: list[str] = []
    for raw in values or ():
        parts = _normalise([raw])
        if not parts or _has_empty_item(raw):
            raise SelectionError(_empty_message(f"{option} {raw!r}"))
        out.extend(parts)
    return out


def _has_empty_item(raw: str) -> bool:
    """``BF3,,BF4`` or ``BF3,``: an empty item between commas."""
    return "," in raw and any(not p.strip() for p in raw.split(","))


def _empty_message(where: str) -> str:
    return (f"empty rule selector in {where}: name codes, prefixes or groups (e.g. BF3, BF302, "
            "correctness) or ALL (see `bflint rules`); an empty selection would check nothing")


def validate(selectors: Iterable[str], codes: Sequence[str]) -> None:
    selectors = list(selectors)
    for raw in selectors:
        if not isinstance(raw, str) or not _normalise([raw]) or _has_empty_item(raw):
            raise SelectionError(_empty_message(repr(raw)))
    for s in _normalise(selectors):
        if s != "ALL" and s.lower() not in GROUPS and not any(c.startswith(s) for c in codes):
            raise SelectionError(f"unknown rule selector `{s}` (no code starts with it; see `bflint rules`)")


def resolve(codes: Sequence[str], select: Iterable[str] | None = None,
            ignore: Iterable[str] = (), extend_select: Iterable[str] = ()) -> frozenset[str]:
    """The enabled codes. ``select=None`` means every rule."""
    sel = _normalise(select) if select is not None else ["ALL"]
    sel += _normalise(extend_select)
    ign = _normalise(ignore)
    for group in (sel, ign):
        validate(group, codes)
    enabled = set()
    for code in codes:
        s, i = _match_length(code, sel), _match_length(code, ign)
        if s >= 0 and s > i:
            enabled.add(code)
    return frozenset(enabled)


def with_always(enabled: frozenset[str], codes: Sequence[str],
                ignore: Iterable[str] = ()) -> frozenset[str]:
    """``enabled`` plus the always-reported codes that no ``ignore``
    selector names."""
    ign = _normalise(ignore)
    return enabled | {c for c in codes if c in ALWAYS and _match_length(c, ign) < 0}
