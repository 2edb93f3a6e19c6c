import difflib

import libcst as cst

from bflint.edits import quoted_like, unique_match
from bflint.rule import Edit, Fix, Rule
from bflint.semantic.cst_util import string_value

VALID = ("all", "inference_variables", "summary_variables", "inference_conditions")
SLOT_NAMES = VALID[1:]
ALL_SYNONYMS = frozenset({"both", "every", "everything", "any", "true", "yes", "full", "*"})


class InvalidStandardize(Rule):
    """## What it does
    Flags `BasicWorkflow(standardize=...)` when the string, or an element of
    the list, is not one of `"all"`, `"inference_variables"`,
    `"summary_variables"`, `"inference_conditions"`, and `standardize=True`
    (a boolean: training then fails with a `TypeError`; `False`, like `None`,
    standardises nothing, as asked).

    ## Why is this bad?
    BayesFlow 2.1 compares these names with the adapter's output keys and
    silently ignores any other value: `standardize="summary"` or
    `standardize=["all"]` standardises nothing, without an error or a
    warning.

    ## Example
    ```python
    workflow = bf.BasicWorkflow(adapter=adapter, standardize="inference_variable")
    workflow = bf.BasicWorkflow(adapter=adapter, standardize=["x", "theta"])
    ```

    ## Use instead
    ```python
    workflow = bf.BasicWorkflow(adapter=adapter, standardize="all")
    workflow = bf.BasicWorkflow(
        adapter=adapter, standardize=["inference_variables", "summary_variables"]
    )
    ```
    """

    CODE = "BF108"
    NAME = "invalid-standardize"
    SEVERITY = "E"
    MESSAGE = ("`BasicWorkflow(standardize=...)` has {bad}, which BayesFlow silently ignores "
               "(nothing is standardised for {them})")
    FIX_TITLE = "{advice}"

    def check(self, model):
        for wf in model.workflows:
            arg = wf.arg("standardize")
            if arg is None:
                continue
            if _is_true(model, arg.value):
                yield self.report(
                    wf.node,
                    "`BasicWorkflow(standardize=True)`: BayesFlow takes the names of the "
                    "variables to standardise here, not a boolean; training fails with "
                    "`TypeError: 'bool' object is not iterable` once it starts",
                    help='Use `standardize="all"` (or a list of `"inference_variables"`, '
                         '`"summary_variables"`, `"inference_conditions"`)',
                    fix=Fix.unsafe('Replace `True` by `"all"`', Edit(arg.value, '"all"'))
                    if isinstance(arg.value, cst.Name) else None)
                continue
            values = model.strings(arg.value)
            if not values:
                continue
            single = len(values) == 1 and _is_single_string(arg.value, model)
            if single:
                bad = [v for v in values if v not in VALID]
            else:
                bad = [v for v in values if v not in SLOT_NAMES]
            if not bad:
                continue
            shown = ", ".join(f'`"{v}"`' for v in bad)
            bad_text = f"the value {shown}" if len(bad) == 1 else f"the values {shown}"
            tips = []
            for v in bad:
                if v == "all" and not single:
                    tips.append('`"all"` works only as a plain string: use `standardize="all"`')
                    continue
                options = VALID if single else SLOT_NAMES
                close = difflib.get_close_matches(v, options, n=1, cutoff=0.5)
                if not close and single and v.lower() in ALL_SYNONYMS:
                    close = ["all"]
                if not close:
                    close = [c for c in options if v and (v in c or c.startswith(v.split("_")[0]))][:1]
                if close:
                    tips.append(f'did you mean `"{close[0]}"` instead of `"{v}"`?')
            if not tips:
                tips.append('use `standardize="all"` or a list of `"inference_variables"`, '
                            '`"summary_variables"`, `"inference_conditions"`')
            yield self.report(wf.node, bad=bad_text, advice="; ".join(tips),
                              them="it" if len(bad) == 1 else "them",
                              fix=_respell(arg.value, bad, VALID if single else SLOT_NAMES))


def _respell(expr, bad: list[str], options) -> Fix | None:
    """Safe fix: the one invalid literal has exactly one close valid spelling."""
    if len(bad) != 1:
        return None
    close = unique_match(bad[0], options)
    if close is None:
        return None
    if isinstance(expr, (cst.List, cst.Tuple)):
        hits = [e.value for e in expr.elements if string_value(e.value) == bad[0]]
        if len(hits) != 1:
            return None
        expr = hits[0]
    content = quoted_like(expr, close)
    if content is None or string_value(expr) != bad[0]:
        return None
    return Fix.safe(f'Replace `"{bad[0]}"` by `"{close}"`', Edit(expr, content))


def _is_true(model, expr) -> bool:
    """``True``, or a name bound to ``True`` (``STANDARDIZE = True``)."""
    if isinstance(expr, cst.Name) and expr.value == "True":
        return True
    obj = model.value(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else None
    node = obj.node if obj is not None and obj.kind in ("literal", "opaque") else None
    return isinstance(node, cst.Name) and node.value == "True"


def _is_single_string(expr, model) -> bool:
    """The argument is one string (literal or bound to a name), not a list."""
    return string_value(model.literal_node(expr)) is not None
