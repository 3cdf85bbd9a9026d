"""Perturbed golds for `synthgen verify`: near-miss answers that a sound checker must score 0.

Each method gets the mistakes a model plausibly makes (off by one, dropped root, flipped sign,
swapped entries, copying the unfactored input, a wrong truth value). Built from the structured
verification args, never by string-editing the model-facing answer, so they are well-formed.
"""

from __future__ import annotations

import sympy

from synthgen.verify.numeric_methods import _gold_constant, _gold_numeral
from synthgen.verify.symbolic_methods import _gold_expr, _variables


def _plus_one(text: str) -> str:
    return f"({text}) + 1"


def _numeric(args: dict) -> list[tuple[str, str]]:
    value = _gold_numeral(str(args["value"]))
    out = [("off_by_one", str(value + 1))]
    if value != 0:
        out.append(("flipped_sign", str(-value)))
    return out


def _real(args: dict) -> list[tuple[str, str]]:
    value = str(args["value"])
    out = [("off_by_one", _plus_one(value))]
    if _gold_constant(value) != 0:
        out.append(("flipped_sign", f"-({value})"))
    return out


def _string(args: dict) -> list[tuple[str, str]]:
    value = str(args["value"])
    last = value[-1]
    repl = str((int(last) + 1) % 10) if last.isdigit() else ("a" if last.lower() != "a" else "b")
    return [("changed_last_char", value[:-1] + repl)]


def _set(args: dict) -> list[tuple[str, str]]:
    values = [str(v) for v in args["values"]]
    if not values:
        return [("extra_element", "0")]
    if args.get("element", "real") == "rational":
        golds = [_gold_numeral(v) for v in values]
        bump, extra = str(golds[0] + 1), str(1 + sum(abs(g) for g in golds))
    else:
        bump, extra = _plus_one(values[0]), _plus_one(" + ".join(f"Abs({v})" for v in values))
    out = [("off_by_one", ", ".join([bump, *values[1:]])), ("extra_element", ", ".join([*values, extra]))]
    if len(values) > 1:
        out.append(("dropped_element", ", ".join(values[1:])))
    return out


def _tuple(args: dict) -> list[tuple[str, str]]:
    values = [str(v) for v in args["values"]]
    out = [("off_by_one", "(" + ", ".join([_plus_one(values[0]), *values[1:]]) + ")")]
    golds = [_gold_constant(v) for v in values]
    for j in range(1, len(values)):
        if golds[j] != golds[0]:
            swapped = [values[j], *values[1:j], values[0], *values[j + 1 :]]
            out.append(("swapped_entries", "(" + ", ".join(swapped) + ")"))
            break
    return out


def _matrix(args: dict) -> list[tuple[str, str]]:
    rows = [[str(c) for c in row] for row in args["rows"]]
    rows[0][0] = _plus_one(rows[0][0])
    return [("off_by_one", "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]")]


def _expression(args: dict) -> list[tuple[str, str]]:
    value = str(args["value"])
    return [("plus_one", _plus_one(value)), ("flipped_sign", f"-({value})")]


def _factored(args: dict) -> list[tuple[str, str]]:
    expr = _gold_expr(str(args["value"]), _variables(args))
    out = _expression(args)
    expanded = sympy.expand(expr)
    if expanded != expr:
        out.append(("expanded_copy", str(expanded)))
    return out


def _antiderivative(args: dict, answer: str) -> list[tuple[str, str]]:
    return [("plus_variable", f"({answer}) + {args['variable']}"), ("flipped_sign", f"-({answer})")]


def _sat(args: dict, answer: str) -> list[tuple[str, str]]:
    names = [str(v) for v in args["variables"]]
    pairs = dict(p.split("=") for p in (s.replace(" ", "") for s in answer.split(",")))
    truth = {k: v.lower() in ("true", "t", "1") for k, v in pairs.items()}
    render = lambda t: ", ".join(f"{n}={'true' if t[n] else 'false'}" for n in names if n in t)  # noqa: E731
    for name in names:
        flipped = {**truth, name: not truth[name]}
        ok = all(any(flipped[names[abs(lit) - 1]] == (lit > 0) for lit in c) for c in args["clauses"])
        if not ok:
            return [("flipped_variable", render(flipped)), ("missing_variable", render(truth).rsplit(",", 1)[0])]
    return [("missing_variable", render({n: truth[n] for n in names[:-1]}))]


def _knights(args: dict) -> list[tuple[str, str]]:
    names = [str(n) for n in args["names"]]
    sol = {k: str(v).lower() for k, v in args["solution"].items()}
    sol[names[0]] = "knave" if sol[names[0]] == "knight" else "knight"
    return [("flipped_role", ", ".join(f"{n}={sol[n]}" for n in names))]


def _ordering(args: dict) -> list[tuple[str, str]]:
    sol = [str(i) for i in args["solution"]]
    return [("swapped_first_two", ", ".join([sol[1], sol[0], *sol[2:]]))] if len(sol) > 1 else []


def perturbations(verification: dict, answer: str) -> list[tuple[str, str]]:
    """[(label, wrong_answer)] for one row; empty when the method has no safe perturbation."""
    method = verification.get("method")
    table = {
        "integer": _numeric, "rational": _numeric, "real": _real, "string": _string, "set": _set,
        "tuple": _tuple, "matrix": _matrix, "expression": _expression, "factored": _factored,
        "knights": _knights, "ordering": _ordering,
    }  # fmt: skip
    if method in table:
        return table[method](verification)
    if method == "antiderivative":
        return _antiderivative(verification, answer)
    if method == "sat":
        return _sat(verification, answer)
    return []
