"""Named rule groups (rule catalog v4, "Groups"): select rules by purpose, as Fixit's tags do.

``correctness``: the script computes something wrong, crashes later, or uses API that does not
exist. ``workflow``: the guide's house workflow and defaults. Every code is in exactly one group;
``tests/test_groups.py`` checks the table against the registered rules.
"""

from __future__ import annotations

GROUPS: dict[str, frozenset[str]] = {
    "correctness": frozenset({
        "BF000", "BF001", "BF101", "BF102", "BF103", "BF104", "BF105", "BF106", "BF108", "BF109",
        "BF201", "BF302", "BF306", "BF402", "BF403", "BF405", "BF406", "BF501", "BF502", "BF601",
        "BF901", "BF902", "BF903", "BF999",
    }),
    "workflow": frozenset({
        "BF107", "BF301", "BF303", "BF304", "BF305", "BF401", "BF404", "BF602", "BF603", "BF604",
    }),
}


def groups_of(code: str) -> tuple[str, ...]:
    """The names of the groups ``code`` belongs to, sorted."""
    return tuple(sorted(name for name, codes in GROUPS.items() if code in codes))
