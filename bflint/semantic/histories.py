"""The data flow of training histories in the semantic model: where a
History (or ``history.history`` and data derived from it) is passed, and the
effects of local functions on the histories passed to their parameters.
A mixin of :class:`~bflint.semantic.builder.Builder`."""

from __future__ import annotations

import libcst as cst

from bflint.semantic.values import CallEvent, FunctionInfo, HistoryObj, HistoryUse, Obj, ParamObj


class HistoryEffects:
    """Records :class:`HistoryUse` on histories and on parameters of local functions."""

    def history_uses(self, event: CallEvent, arg_values) -> None:
        callee = event.qualname or event.method
        if callee is None and isinstance(event.node.func, cst.Name):
            callee = event.node.func.value
        if callee is None:
            return
        pos = 0
        for a, v in zip(event.node.args, arg_values):
            where: int | str
            if a.keyword is not None:
                where = a.keyword.value
            elif a.star:
                continue
            else:
                where = pos
                pos += 1
            if v is None or v.kind not in ("history", "history_dict", "param"):
                continue
            self.record_use(v, HistoryUse(callee, where, event.node, whole=v.kind != "history_dict"))
        # ``history.history`` used as a receiver: ``pd.DataFrame(h.history).to_csv``
        if event.receiver is not None and event.receiver.kind == "history_dict":
            self.record_use(event.receiver, HistoryUse(callee, "self", event.node))

    def record_use(self, v: Obj, use: HistoryUse) -> None:
        root = history_root(v)
        if isinstance(root, HistoryObj):
            root.uses.append(use)
        elif isinstance(root, ParamObj) and root.function is not None:
            # the parameter is the history itself or its ``.history`` dict
            effects = root.function.param_effects[root.name]
            # recursive calls pass parameters back in: record each use once
            # (else every recursive call site doubles the list)
            if not any(u.node is use.node and u.callee == use.callee and u.arg == use.arg
                       and u.whole == use.whole for u in effects):
                effects.append(use)

    def apply_effects(self, e: cst.Call, f: FunctionInfo, arg_values, offset: int = 0) -> None:
        if not f.param_effects:
            return
        for name, v in f.arguments(e.args, arg_values, offset)[0]:
            if v is None or v.kind not in ("history", "history_dict", "param"):
                continue
            for use in list(f.param_effects.get(name, ())):  # may grow (recursion)
                whole = use.whole and v.kind != "history_dict"
                if whole != use.whole:
                    use = HistoryUse(use.callee, use.arg, use.node, whole)
                self.record_use(v, use)


def history_root(v: Obj) -> Obj:
    while v.kind == "history_dict" and v.parent is not None:
        v = v.parent
    return v
