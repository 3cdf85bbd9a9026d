"""Hypothesis strategies and the CI profile for fuzzing the parsers of model output.

Why grammar-shaped pieces and not only `st.text()`: random text is refused by the first character
check of every parser, so it never reaches the deep code (brace matching, the recursive descent,
sympy comparisons, pydantic validation). The strategies mix tokens of each language (LaTeX
commands, \\boxed{}, operators, JSON fragments), whole valid expressions, deep nesting, huge
numbers, invalid UTF-8 decoded the ways a backend might decode it, lone surrogates, control
characters and NUL with random text.

Profiles: "ci" (default: reproducible with derandomize=True, no example database written into the
working tree, the parser's own wall-clock bound asserted instead of hypothesis' flaky deadline)
and "deep" (SYNTHGEN_FUZZ_PROFILE=deep: 20x the examples, for a local bug hunt).
"""

from __future__ import annotations

import json
import os
import signal
import time
from contextlib import contextmanager

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)  # fmt: skip
settings.register_profile("deep", parent=settings.get_profile("ci"), derandomize=False)
PROFILE = os.environ.get("SYNTHGEN_FUZZ_PROFILE", "ci")
settings.load_profile(PROFILE)
SCALE = 20 if PROFILE == "deep" else 1


NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)  # for batches through the pool: shrinking
# one means minutes of worker deadlines, so those tests name the failing items themselves


def examples(n: int, **overrides) -> settings:
    """Settings for a property run on n examples in CI (n x SCALE under the deep profile)."""
    return settings(max_examples=n * SCALE, **overrides)


TEXT_BOUND_S = 3.0  # per call of a parser that does string work or builds a small sympy object: it takes
# milliseconds, so only a hang or a catastrophic backtrack reaches this, not a loaded CI machine


class Overran(AssertionError):
    """A parser call ran past the hard stop of `bounded`: a hang, reported instead of blocking CI."""


@contextmanager
def bounded(seconds: float, what: object = ""):
    """Assert that the block takes under `seconds` of wall clock; stop it at 3x that (main thread).

    The hard stop is SIGALRM, which CPython checks between bytecodes (gmpy2 is not installed here,
    so sympy's big integers are Python ints and the alarm lands).
    """

    def stop(signum, frame):
        raise Overran(f"still running after {3 * seconds:.0f} s: {str(what)[:200]!r}")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 3 * seconds, 1.0)  # re-fires: one raised inside a gc callback is lost
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"{elapsed:.2f} s (bound {seconds} s) on {str(what)[:200]!r}"


# --- math answers: LaTeX, plain syntax, boxes, code-injection words ----------------------------------
MATH_PIECES = [
    "0", "1", "7", "42", "-3/4", "0.75", ".5", "1e999", "9" * 70, "x", "y", "C", "e", "pi", "I", "oo", "i",
    "sin", "cos", "log", "ln", "sqrt", "exp", "Abs", "factorial", "__import__", "lambda", "os", "system",
    "Symbol", "Function", "eval", "exec", "open", "Matrix", "(", ")", "[", "]", "{", "}", "\\{", "\\}",
    "+", "-", "*", "/", "^", "**", "!", "|", ",", ";", "=", ":", " ", "\n", "\t", "\\frac", "\\dfrac",
    "\\sqrt", "\\sqrt[3]", "\\boxed{", "\\fbox{", "\\left", "\\right", "\\left.", "\\text{", "\\mathrm{",
    "\\operatorname{", "\\pi", "\\infty", "\\pm", "\\mp", "\\cdot", "\\times", "\\log_", "\\sin^2",
    "\\begin{pmatrix}", "\\end{pmatrix}", "\\begin{bmatrix}", "\\end{bmatrix}", "&", "\\\\", "\\", "_",
    "^{", "_{", "$", "$$", "\\(", "\\)", "\\emptyset", "∅", "±", "π", "−", "×", "√", "<answer>",
    "</answer>", "####", "<think>", "</think>", "\x00", "\x1b", "\ud800", "\udfff", "\u202e", "\ufeff",
    "knight", "knave", "Alice", "Bob", "true", "false", " is a ", " and ", "then", "->", "\\to",
    "9^9^9", "10^{10^{10}}", "100000!", "\\input{/etc/passwd}", "\\write18{ls}", "x.__class__",
]  # fmt: skip
_piece = st.one_of(st.sampled_from(MATH_PIECES), st.text(max_size=4), st.integers(-(10**80), 10**80).map(str))
_flat = st.lists(_piece, max_size=30).map("".join)
_WRAPS = ["(%s)", "{%s}", "\\frac{%s}{%s}", "\\sqrt{%s}", "\\boxed{%s}", "%s^{%s}", "|%s|", "\\left(%s\\right)",
          "[%s]", "\\{%s\\}", "%s, %s", "sin(%s)", "(%s)!", "%s=%s", "\\text{%s}"]  # fmt: skip


def _wrap(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(_WRAPS), inner, inner).map(
        lambda t: t[0].replace("%s", t[1], 1).replace("%s", t[2], 1)
    )


_nested = st.recursive(_flat, _wrap, max_leaves=12)
_OPENERS = ["(", ")", "{", "}", "\\frac{", "\\sqrt{", "[", "\\boxed{", "|", "-", "^{", "\\left(", "1^", "sin "]
deep = st.tuples(st.sampled_from(_OPENERS), st.integers(1, 12_000), _flat).map(lambda t: t[0] * t[1] + t[2])
invalid_utf8 = st.tuples(st.binary(max_size=60), st.sampled_from(["surrogateescape", "replace", "ignore"])).map(
    lambda t: t[0].decode("utf-8", errors=t[1])
)

# whole expressions, so the fuzzer also reaches the comparisons behind the parser
_atom = st.one_of(
    st.integers(0, 12).map(str), st.integers(0, 10**70).map(str), st.sampled_from(["x", "y", "pi", "e", "0.5", "x^2"])
)


def _operations(inner: st.SearchStrategy[str], factorial: bool) -> st.SearchStrategy[str]:
    options = [
        st.tuples(inner, st.sampled_from("+-*/"), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(inner, st.sampled_from(["2", "3", "-1", "1/2", "1000", "x", "(1/3)", "100"])).map(
            lambda t: f"{t[0]}^{t[1]}"
        ),
        st.tuples(st.sampled_from(["sqrt", "sin", "cos", "log", "exp", "tan", "abs", "ln"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
    ]
    if factorial:
        options.append(inner.map(lambda a: f"({a})!"))
    return st.one_of(*options)


expressions = st.recursive(_atom, lambda c: _operations(c, True), max_leaves=10)
formulation_expressions = st.recursive(_atom, lambda c: _operations(c, False), max_leaves=8)
latex_expressions = expressions.map(
    lambda s: s.replace("(", "{").replace(")", "}").replace("sqrt", "\\sqrt").replace("/", "\\over ")
)
math_text = st.one_of(
    _flat, _nested, deep, invalid_utf8, st.text(max_size=80), expressions, latex_expressions,
    st.tuples(expressions, expressions).map(lambda t: f"{t[0]}, {t[1]}"),
)  # fmt: skip
completions = st.one_of(
    math_text,
    st.tuples(math_text, math_text, st.sampled_from(["\\boxed{%s}", "<answer>%s</answer>", "\n#### %s", "%s"])).map(
        lambda t: t[0] + t[2].replace("%s", t[1])
    ),
    st.tuples(math_text, st.integers(1, 3000)).map(lambda t: "\\boxed{" + t[0] + "}" * t[1]),
)

# --- JSON replies: valid, truncated, mutated, deeply nested --------------------------------------------
JSON_KEYS = [
    "kind", "expressions", "unknowns", "answer_type", "better", "rationale", "helpfulness", "correctness",
    "instruction_following", "clarity", "instruction", "input", "question", "formulation", "word_problem",
]  # fmt: skip
JSON_PIECES = [
    "{", "}", "[", "]", '"', ":", ",", "\\u", "\\ud800", "\\udfff", "\\u0000", "NaN", "Infinity", "-Infinity",
    "1e999", "-", "9" * 5000, "null", "true", '"solve"', '"system"', '"integer"', '"set"', '"x"', '"3*x+5=20"',
    '"A"', '"B"', " ", "\n", "\x00", *[f'"{k}"' for k in JSON_KEYS],
]  # fmt: skip
_keys = st.sampled_from(JSON_KEYS) | st.text(max_size=5)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | math_text,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(_keys, c, max_size=6),
    max_leaves=20,
)
_dumped = json_values.map(lambda v: json.dumps(v, ensure_ascii=False))
json_replies = st.one_of(
    _dumped,
    _dumped.flatmap(lambda t: st.integers(0, len(t)).map(lambda k: t[:k])),  # cut off by the token limit
    st.lists(st.sampled_from(JSON_PIECES) | st.text(max_size=3), max_size=40).map("".join),
    st.tuples(st.sampled_from(["[", '{"a":', '[{"better":', '{"formulation":']), st.integers(1, 100_000)).map(
        lambda t: t[0] * t[1]
    ),
    math_text,
)
