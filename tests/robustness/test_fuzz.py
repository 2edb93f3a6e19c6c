"""Short, seeded fuzz runs (the long one: ``python scripts/fuzz.py --programs 10000``).

Generated programs (hypothesmith) and mutated BayesFlow scripts: bflint never
raises, never reports BF999, every finding is well formed and inside the
file, and a file that parses never gets BF000."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


def _load_fuzz():
    spec = importlib.util.spec_from_file_location("bflint_fuzz_script", ROOT / "scripts" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()

SHORT = settings(max_examples=20, derandomize=True, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))


@SHORT
@given(src=hypothesmith.from_grammar(), header=st.sampled_from(fuzz.HEADERS))
def test_generated_programs_from_the_grammar(src: str, header: str) -> None:
    fuzz.check_program(header + src)


@settings(SHORT, max_examples=6)  # from_node is slow to generate
@given(src=hypothesmith.from_node(), header=st.sampled_from(fuzz.HEADERS))
def test_generated_programs_from_libcst_nodes(src: str, header: str) -> None:
    fuzz.check_program(header + src)


CORPUS = fuzz.corpus()


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 10
    assert any(name.startswith("examples/") for name, _ in CORPUS)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_scripts(seed: int) -> None:
    rng = random.Random(seed)
    for k in range(60):
        name, text = rng.choice(CORPUS)
        mutated, ops = fuzz.mutate(text, rng)
        try:
            if k % 8 == 0:
                fuzz.check_as_notebook(mutated, rng)
            else:
                fuzz.check_program(mutated, Path(name).name)
        except Exception as exc:
            raise AssertionError(f"{name} + {ops} (seed {seed}, #{k}):\n{mutated}") from exc


def test_unmutated_corpus_has_only_catalog_codes() -> None:
    for name, text in CORPUS:
        found = fuzz.check_program(text, Path(name).name)
        assert all(f.code != "BF000" for f in found) or "BF000" in name, name


def test_properties_catch_bad_findings() -> None:
    """The checker itself: an out-of-file position or an unknown code fails."""
    from bflint.finding import Finding

    good = Finding("BF302", "missing-validation-data", "E", "m", "x.py", 2, 1, 2, 5)
    fuzz.check_findings([good], "a\nbbbbbb\n")
    for bad in (Finding("BF302", "n", "E", "m", "x.py", 9, 1, 9, 1),
                Finding("BF302", "n", "E", "m", "x.py", 2, 1, 1, 1),
                Finding("BF302", "n", "E", "m", "x.py", 2, 5, 2, 2),
                Finding("XX302", "n", "E", "m", "x.py", 1, 1, 1, 1),
                Finding("BF999", "internal-error", "E", "m", "x.py", 1, 1, 1, 1)):
        with pytest.raises(fuzz.PropertyError):
            fuzz.check_findings([bad], "a\nbbbbbb\n")
