"""Every rule's documentation is checked like Fixit's VALID / INVALID cases:
the code of its ``## Example`` section fires the rule, the code of its
``## Use instead`` section does not. Each block is a complete script; a block
that does not import BayesFlow itself gets the documentation's implicit
prelude (``import bayesflow as bf``, ``import numpy as np``, ``rng``)."""

from __future__ import annotations

import re

import pytest

from bflint.api import lint_source
from bflint.registry import all_rules

# rules whose cases are not source code: a syntax error, an unreadable file, a crash
NOT_CODE = {"BF000", "BF001", "BF999"}
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
PRELUDE = "import bayesflow as bf\nimport numpy as np\n\nrng = np.random.default_rng(0)\n\n"


def section(doc: str, title: str) -> list[str]:
    """The python code blocks of a ``## <title>`` section."""
    parts = re.split(r"^## ", doc, flags=re.M)
    for p in parts:
        if p.startswith(title):
            return BLOCK.findall(p)
    return []


RULES = [r for r in all_rules() if r.CODE not in NOT_CODE]


def _codes(src: str, code: str) -> list[str]:
    if "import bayesflow" not in src:
        src = PRELUDE + src
    return [f.code for f in lint_source(src, filename="example.py", select=[code])]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.CODE)
def test_example_fires(rule) -> None:
    blocks = section(rule.doc(), "Example")
    assert blocks, f"{rule.CODE} has no ```python block under ## Example"
    for src in blocks:
        assert rule.CODE in _codes(src, rule.CODE), f"{rule.CODE}'s example does not fire:\n{src}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.CODE)
def test_use_instead_is_clean(rule) -> None:
    blocks = section(rule.doc(), "Use instead")
    assert blocks, f"{rule.CODE} has no ```python block under ## Use instead"
    for src in blocks:
        assert rule.CODE not in _codes(src, rule.CODE), f"{rule.CODE}'s fix still fires:\n{src}"
