"""A corpus of hostile and pathological completions for `synthgen.rewards`, and the golds they meet.

Every code-injection entry, if anything ever executed it, would create the canary file the test
passes in (`touch`, `open(..., 'w')`, `\\write18`), so "nothing executed" is a file that must not
exist. The other entries aim at cost: power towers, huge factorials, nested radicals, giant
matrices, 10k-deep nesting, 1 MB strings, thousands of boxes, NUL bytes and lone surrogates. None
of them is a correct answer to any gold in VERIFICATIONS.
"""

from __future__ import annotations

# (verification, gold answer text): one per checking method; the gold text verifies against it,
# so a reward call with these columns never scores None.
VERIFICATIONS: list[tuple[dict, str]] = [
    ({"method": "integer", "value": "7"}, "7"),
    ({"method": "rational", "value": "-3/4"}, "-3/4"),
    ({"method": "real", "value": "sqrt(2)"}, "sqrt(2)"),
    ({"method": "set", "values": ["-2", "1/2"], "element": "rational"}, "-2, 1/2"),
    ({"method": "set", "values": ["1+sqrt(2)", "1-sqrt(2)"], "element": "real"}, "1+sqrt(2), 1-sqrt(2)"),
    ({"method": "tuple", "values": ["1", "2"], "names": ["x", "y"]}, "(1, 2)"),
    ({"method": "matrix", "rows": [["1", "2"], ["3", "4"]]}, "[[1, 2], [3, 4]]"),
    ({"method": "expression", "value": "x**2 + 1", "variables": ["x"]}, "x**2 + 1"),
    ({"method": "factored", "value": "(x+1)*(x+2)", "variables": ["x"]}, "(x+1)*(x+2)"),
    ({"method": "antiderivative", "integrand": "2*x", "variable": "x"}, "x**2"),
    ({"method": "string", "value": "1011_2"}, "1011_2"),
    ({"method": "sat", "variables": ["a", "b"], "clauses": [[1, 2], [-1]]}, "a=false, b=true"),
    (
        {"method": "knights", "names": ["Alice", "Bob"], "solution": {"Alice": "knight", "Bob": "knave"}},
        "Alice=knight, Bob=knave",
    ),
    ({"method": "ordering", "items": ["A", "B", "C"], "solution": ["B", "A", "C"]}, "B, A, C"),
]

# Correct answers written the way a model would, one per entry of VERIFICATIONS (the healthy batch).
CORRECT = [
    r"\boxed{7}", r"\boxed{-\frac{3}{4}}", r"\boxed{\sqrt{2}}", r"\boxed{\frac12, -2}", r"\boxed{1 \pm \sqrt{2}}",
    r"\boxed{(1, 2)}", r"\boxed{\begin{pmatrix}1 & 2\\ 3 & 4\end{pmatrix}}", r"<think>expand</think>\boxed{1 + x^2}",
    r"\boxed{(x+2)(x+1)}", r"\boxed{x^2 + C}", r"\boxed{1011_2}", r"\boxed{a = false, b = true}",
    r"\boxed{\text{Alice is a knight, Bob is a knave}}", r"\boxed{B, A, C}",
]  # fmt: skip


def _injections(canary: str) -> list[str]:
    """Code in every syntax an answer parser could be tempted to run; each one touches the canary."""
    sh = f"touch {canary}"
    imp = f"__import__('os').system('{sh}')"
    return [
        imp, imp.replace("'", '"'), f"(lambda: {imp})()", f"(lambda f: f('{sh}'))(__import__('os').system)",
        f"eval(\"{imp}\")", f"exec('open(\"{canary}\", \"w\")')", f"open('{canary}', 'w').write('x')",
        f"compile('open(\"{canary}\",\"w\")', 's', 'exec')", f"f\"{{{imp}}}\"", f"f'{{open(\"{canary}\", \"w\")}}'",
        f"Symbol('{imp}')", f"Function('{imp}')(x)", "Function('f')(x)", f"sympify(\"{imp}\")",
        f"parse_expr(\"open('{canary}','w')\")", f"lambdify(x, \"{imp}\")(1)", f"S('{imp}')", f"N({imp})",
        f"getattr(__import__('os'), 'system')('{sh}')", f"globals()['__builtins__']['open']('{canary}', 'w')",
        f"__builtins__.open('{canary}', 'w')", f"import os; os.system('{sh}')", f"os.system('{sh}')",
        f"__import__('subprocess').run(['touch', '{canary}'])", "x.__class__.__base__.__subclasses__()",
        "().__class__.__bases__[0].__subclasses__()", f"[open('{canary}', 'w') for _ in range(1)]",
        f"7 if open('{canary}', 'w') else 8", f"8 or open('{canary}', 'w')", f"(x := open('{canary}', 'w'))",
        f"sin({imp})", f"sqrt(open('{canary}', 'w'))", f"log(x, open('{canary}', 'w'))",
        f"Matrix([[{imp}]])", f"Integer({imp})", f"x = {imp}", "breakpoint()", "input()", "exit()",
        f"\\input{{{canary}}}", f"\\include{{{canary}}}", f"\\write18{{{sh}}}", f"\\immediate\\write18{{{sh}}}",
        f"\\openout1={canary}", f"\\def\\x{{\\write18{{{sh}}}}}\\x", f"\\text{{\\write18{{{sh}}}}}",
        f"\\mathrm{{{imp}}}", f"\\operatorname{{eval}}(open('{canary}', 'w'))", f"\\text{{{imp}}}",
        f"$({sh})", f"`{sh}`", f"; {sh}", f"| {sh}", f"&& {sh}", "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        f"${{open('{canary}', 'w')}}", f"Alice=knight; {sh}", f"a=true, b={imp}", f"B, A, {imp}",
    ]  # fmt: skip


def _pathological() -> list[str]:
    """Answers that are costly to parse or compare rather than dangerous."""
    matrix_env = "\\begin{pmatrix}" + "\\\\".join("&".join(["9" * 50] * 100) for _ in range(100)) + "\\end{pmatrix}"
    return [
        "9^9^9^9", "9**9**9**9", "10^{10^{10^{10}}}", "2^{2^{2^{2^{2^{2}}}}}", "(10^100)^(10^100)", "x^(10^100)",
        "e^{e^{e^{e^{e^{100}}}}}", "exp(exp(exp(exp(100))))", "(x**1000)**1000", "2**(2**100)", "7^(7^(7^7))",
        "100000!", "factorial(10**9)", "factorial(100000)", "(10^6)!", "1000!!", "(1000!)!", "\\Gamma(10^9)",
        "gamma(10**9)", "\\binom{10^9}{5 \\cdot 10^8}", "binomial(10**9, 5*10**8)", "1000000!",
        "\\sqrt{" * 500 + "2" + "}" * 500, "sqrt(2+" * 60 + "2" + ")" * 60, "\\sqrt[1000000]{2}", "2^(1/10^9)",
        "\\sqrt[\\sqrt[\\sqrt{2}]{2}]{2}", matrix_env, "[" + ",".join(["[" + ",".join(["1"] * 300) + "]"] * 300) + "]",
        "Matrix([[1]*10**6])", "(" * 10_000 + "7" + ")" * 10_000, "{" * 10_000 + "7" + "}" * 10_000,
        "\\frac{" * 5000 + "1}{2}" * 5000, "[" * 10_000 + "]" * 10_000, "\\left(" * 5000 + "x" + "\\right)" * 5000,
        "-" * 5000 + "7", "x" + "+x" * 140, "1" * 70, "1e999999999", "NaN", "inf", "oo", "zoo", "\\infty", "1/0",
        "0^0", "0/0", "log(0)", "\\frac{1}{0}", "tan(pi/2)", "\\ln(-1)", "I^I^I^I", "7 \\pm 0", "7\\pm", "\\{7\\}",
        "\\boxed7", "\x00", "7\x00", "\x00" * 1000, "\ud800", "7\udfff", "\udcff\udcfe7", "\u202e7", "\x1b[2J7",
    ]  # fmt: skip


def hostile_completions(canary: str) -> list[str]:
    """At least 100 completions: each payload boxed, plus raw, tagged and bulk forms."""
    boxed = [f"Let me compute.\n\\boxed{{{p}}}" for p in _injections(canary) + _pathological()]
    megabyte = "1" * 1_000_000
    bulk = [
        f"\\boxed{{{megabyte}}}", f"<answer>{megabyte}</answer>", megabyte, "x+" * 500_000 + "x",
        "\\boxed{" + "a" * 1_000_000 + "}", " ".join(f"\\boxed{{{k}}}" for k in range(5000)),  # hedging: last is 4999
        "\\boxed{" * 5000, "\\boxed{}" * 10_000, "\\boxed{\\boxed{" * 2000 + "}}" * 2000,
        "<think>\\boxed{7}</think>", "\\boxed{7}</think>", "<think>" * 1000 + "</think>" * 1000,
        f"<answer>{_injections(canary)[0]}</answer>", f"#### {_injections(canary)[6]}", f"{_injections(canary)[0]}",
        "\ud800" * 10_000, "\x00" * 100_000 + "\\boxed{\x00}",
    ]  # fmt: skip
    return boxed + bulk
