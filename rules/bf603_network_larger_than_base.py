from __future__ import annotations

import libcst as cst

from bflint import bayesflow_api
from bflint.analyze.constants import static_int
from bflint.analyze.networks import bound_args, resolve_expr, short
from bflint.rule import Rule
from bflint.semantic.cst_util import literal_dict, string_value

# Keyword arguments that set a network's size (summary_dim is not one: see BF604).
CAPACITY = frozenset({
    "depth", "widths", "embed_dims", "embed_dim", "mlp_widths", "hidden_dim", "num_heads",
    "num_seeds", "expansion_factor", "recurrent_dim", "filters", "template_dim",
    "transformer_width", "transformer_blocks", "res_blocks", "res_blocks_down", "res_blocks_up",
    "blocks_per_stage", "num_layers",
})
# subnet classes -> the string an inference network accepts for them
SUBNET_STRINGS = {
    "bayesflow.networks.MLP": "mlp",
    "bayesflow.networks.TimeMLP": "time_mlp",
    "bayesflow.networks.DiffusionTransformer": "diffusion_transformer",
}


def literal_size(model, expr: cst.BaseExpression | None, depth: int = 4):
    """An int / float or a tuple of them written literally (``(512,) * 6`` included,
    also through a name bound to such a literal); None otherwise."""
    if expr is None or depth <= 0:
        return None
    if isinstance(expr, cst.Float):
        try:
            return float(expr.evaluated_value)
        except ValueError:  # pragma: no cover
            return None
    n = static_int(model, expr)
    if n is not None:
        return n
    if isinstance(expr, (cst.Name, cst.Attribute)):
        obj = model.value(expr)
        if obj is not None and obj.kind in ("literal", "opaque") and isinstance(
            obj.node, (cst.Tuple, cst.List, cst.BinaryOperation, cst.Float)
        ):
            return literal_size(model, obj.node, depth - 1)
        return None
    if isinstance(expr, (cst.Tuple, cst.List)):
        out = []
        for el in expr.elements:
            if not isinstance(el, cst.Element):
                return None
            v = literal_size(model, el.value, depth - 1)
            if not isinstance(v, (int, float)):
                return None
            out.append(v)
        return tuple(out) if out else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
        for seq, times in ((expr.left, expr.right), (expr.right, expr.left)):
            if isinstance(seq, (cst.Tuple, cst.List, cst.Name)):
                s = literal_size(model, seq, depth - 1)
                k = static_int(model, times)
                if isinstance(s, tuple) and k is not None and k > 0:
                    return s * k
    return None


def is_larger(value, default) -> bool:
    """More capacity than the default: wider with at least as many layers, or deeper
    and at least as wide (never when it is smaller in any respect)."""
    if isinstance(default, bool) or default is None or isinstance(default, str):
        return False
    if isinstance(default, list):
        default = tuple(default)
        if not default or not all(isinstance(x, (int, float)) for x in default):
            return False
    if isinstance(value, tuple) and isinstance(default, tuple):
        wider, deeper = max(value) > max(default), len(value) > len(default)
        return (wider and len(value) >= len(default)) or (deeper and max(value) >= max(default))
    if isinstance(value, tuple):
        return max(value) > default
    if isinstance(default, tuple):
        return value > max(default)
    return value > default


def render_default(value) -> str:
    if isinstance(value, list):
        value = tuple(value)
    return repr(value)


def larger_than(model, args: dict, bases_list: list[dict]):
    """(name, expr, first default) of the capacity settings in ``args`` that are
    larger than every one of the subnet defaults in ``bases_list``."""
    for name, expr in args.items():
        if name not in CAPACITY:
            continue
        value = literal_size(model, expr)
        bases = [b[name] for b in bases_list if name in b]
        if value is not None and bases and all(is_larger(value, b) for b in bases):
            yield name, expr, bases[0]


class NetworkLargerThanBase(Rule):
    """## What it does
    Flags a summary or inference network built with more capacity than BayesFlow 2.1's
    defaults, which serve as the guide's "Base" size: `SetTransformer(embed_dims=(256, 256))`,
    `CouplingFlow(depth=12)`, `FlowMatching(subnet_kwargs={"widths": (512,) * 6})` or a
    bigger subnet instance.

    ## Why is this bad?
    The guide says to start with the Base configuration and scale up only when the
    diagnostics show poor recovery or calibration after sufficient training. Oversized
    networks train slower, waste compute and can hurt calibration on simple problems.
    Only literal sizes are compared (with the defaults recorded from the installed
    BayesFlow, so the rule follows new releases); `summary_dim` is not a capacity
    setting here (see BF604).

    ## Example
    ```python
    inference_network = bf.networks.CouplingFlow(depth=12, subnet_kwargs={"widths": (512,) * 6})
    summary_network = bf.networks.SetTransformer(embed_dims=(256, 256), summary_dim=8)
    ```

    ## Use instead
    Start with the defaults; scale up only when diagnostics call for it:
    ```python
    inference_network = bf.networks.CouplingFlow()
    summary_network = bf.networks.SetTransformer(summary_dim=8)
    ```
    """

    CODE = "BF603"
    NAME = "network-larger-than-base"
    SEVERITY = "I"
    MESSAGE = ("`{network}(...)` is built larger than BayesFlow 2.1's defaults (the guide's "
               "Base size): {settings}")
    FIX_TITLE = ("Start with the Base size and scale up only when diagnostics show poor "
                 "recovery or calibration")

    def check(self, model):
        seen: set[int] = set()
        for call in model.calls:
            qualname = call.qualname or model.qualname(call.node)
            if not qualname or not qualname.startswith("bayesflow.networks."):
                continue
            qualname = bayesflow_api.record_name(qualname)
            if bayesflow_api.network_role(qualname) not in ("inference", "summary"):
                continue
            args = bound_args(call, qualname)
            if args is None:
                continue
            defaults = bayesflow_api.network_defaults(qualname)["params"]
            settings = self.oversized(model, args, defaults)
            subnet_bases = self.subnet_bases(model, qualname, args.get("subnet"))
            kwargs = literal_dict(args.get("subnet_kwargs"))
            if kwargs and subnet_bases:
                for name, expr, base in larger_than(model, kwargs, subnet_bases):
                    settings.append(f"`subnet_kwargs[\"{name}\"]={self.code(model, expr)}` "
                                    f"(default {render_default(base)})")
            if settings and id(call.node) not in seen:
                seen.add(id(call.node))
                yield self.report(call.node, network=short(qualname), settings=", ".join(settings))
            # a subnet instance: compare it with what the inference network builds by default
            sub_expr = args.get("subnet")
            sub = resolve_expr(model, sub_expr, sub_expr) if sub_expr is not None else None
            if sub is None or sub.kind != "call" or id(sub.node) in seen or not subnet_bases:
                continue
            sub_args = bound_args(sub.event, sub.qualname)
            if sub_args is None:
                continue
            found = [f"`{name}={self.code(model, expr)}` (default "
                     f"{render_default(base)} in `{short(qualname)}`)"
                     for name, expr, base in larger_than(model, sub_args, subnet_bases)]
            if found:
                seen.add(id(sub.node))
                yield self.report(sub.node, network=short(sub.qualname), settings=", ".join(found))

    def oversized(self, model, args, defaults) -> list[str]:
        out = []
        for name, expr in args.items():
            if name not in CAPACITY or name not in defaults:
                continue
            value = literal_size(model, expr)
            if value is not None and is_larger(value, defaults[name]):
                out.append(f"`{name}={self.code(model, expr)}` (default "
                           f"{render_default(defaults[name])})")
        return out

    @staticmethod
    def subnet_bases(model, qualname, subnet_expr) -> list[dict]:
        """Default configurations the given subnet is compared with (measured for the
        subnet strings; for a class, also the class's own defaults)."""
        if subnet_expr is None:
            found = bayesflow_api.subnet_defaults(qualname)
            return [found] if found else []
        text = string_value(subnet_expr)
        if text is None:
            strings = model.strings(subnet_expr)
            text = strings[0] if strings and len(strings) == 1 else None
        if text is not None:
            found = bayesflow_api.subnet_defaults(qualname, text.lower())
            return [found] if found else []
        ref = resolve_expr(model, subnet_expr, subnet_expr)
        if ref.kind not in ("call", "class") or not ref.qualname:
            return []
        bases = []
        own = bayesflow_api.network_defaults(ref.qualname)
        if own is not None:
            bases.append(own["params"])
        if ref.qualname in SUBNET_STRINGS:
            measured = bayesflow_api.subnet_defaults(qualname, SUBNET_STRINGS[ref.qualname])
            if measured:
                bases.append(measured)
        return bases

    @staticmethod
    def code(model, expr) -> str:
        text = model.module.code_for_node(expr).strip()
        if isinstance(expr, (cst.Name, cst.Attribute)):
            value = literal_size(model, expr)
            if value is not None:
                text += f" = {render_default(value)}"
        return text
