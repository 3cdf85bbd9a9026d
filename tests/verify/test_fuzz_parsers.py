"""Fuzzing the verifier's parsers of model output: never an exception, never past a time bound.

Every property feeds the mixes of tests/fuzz_strategies.py (LaTeX and plain-syntax pieces, boxes,
whole expressions, 12k-deep nesting, huge numbers, invalid UTF-8, lone surrogates, NUL) to one
parser and asserts its contract: a value of the documented shape, or the parser's own
"unparseable" signal (ParseError / LimitError for the parsing layer, a reason string for the
checkers), within a generous wall-clock bound per call. Each bug it found is a regression test at
the end of this file.

Examples per property in CI are the figures in @examples(n) (x20 with SYNTHGEN_FUZZ_PROFILE=deep).
Rerun: python -m pytest -q tests/verify/test_fuzz_parsers.py tests/text/test_fuzz_structured.py
"""

from __future__ import annotations

import re

import sympy
from fuzz_strategies import NO_SHRINK, TEXT_BOUND_S, bounded, completions, examples, expressions, math_text
from hostile_corpus import VERIFICATIONS
from hypothesis import given
from hypothesis import strategies as st

from synthgen.rewards import completion_text, format_reward, score_completions
from synthgen.verify import structure
from synthgen.verify.api import DEFAULT_TIMEOUT
from synthgen.verify.extract import extract_answer
from synthgen.verify.latex_subset import latex_to_plain
from synthgen.verify.limits import MAX_ANSWER_CHARS
from synthgen.verify.methods import METHODS, check, infer_verification
from synthgen.verify.numeric_methods import set_elements
from synthgen.verify.parse_errors import ParseError
from synthgen.verify.safe_parse import make_symbols, parse_math

REASONS = {"correct", "wrong", "unparseable", "too_long", "no_answer"}  # never timeout/bad_gold in-process
PROGRAMMING_ERRORS = re.compile(r"^(?:internal: )?(?:TypeError|AttributeError|IndexError|KeyError|NameError)\b")
VARIABLES = make_symbols(["x", "y"])


@examples(800)
@given(completions)
def test_extract_answer_returns_an_answer_or_a_reason(text):
    with bounded(TEXT_BOUND_S, text):
        content, reason = extract_answer(text)
        score = format_reward([text, [{"role": "assistant", "content": text}]])
    assert reason in ("", "no_answer", "unparseable", "too_long")
    assert (content is None) == (reason != "")
    assert content is None or len(content) <= MAX_ANSWER_CHARS
    assert score in ([0.0, 0.0], [1.0, 1.0])
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": text}]}]) == text


@examples(800)
@given(math_text)
def test_latex_rewrite_returns_plain_text_or_refuses(text):
    with bounded(TEXT_BOUND_S, text):
        try:
            plain = latex_to_plain(text)
        except ParseError:
            return
    assert isinstance(plain, str)
    assert "\\" not in plain  # every command was rewritten or refused, none passed through


@examples(600)
@given(math_text)
def test_safe_parser_builds_a_finite_expression_or_refuses(text):
    with bounded(TEXT_BOUND_S, text):
        try:
            value = parse_math(text, VARIABLES)
        except ParseError:  # LimitError is a ParseError: "too_long" rather than "unparseable"
            return
    assert isinstance(value, sympy.Expr)
    assert value.free_symbols <= set(VARIABLES.values())
    assert not value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


@examples(500)
@given(math_text)
def test_answer_shapes_split_or_refuse(text):
    with bounded(TEXT_BOUND_S, text):
        assert isinstance(structure.clean(text), str)
        assert isinstance(structure.drop_lhs(text), str) and isinstance(structure.unwrap_text(text), str)
        inner, kind = structure.strip_wrapper(text)
        assert kind in (None, "{", "(", "[", "<") and isinstance(inner, str)
        assert structure.split_named(text) is None or len(structure.split_named(text)) == 2
        for split in (structure.split_top, structure.matrix_rows, set_elements):
            try:
                parts = split(text)
            except ParseError:
                continue
            assert isinstance(parts, list)


@examples(300)
@given(math_text)
def test_every_checker_answers_with_a_reason(text):
    verifications = [v for v, _ in VERIFICATIONS] + [{"method": "auto", "value": "x^2+1"}]
    assert {v["method"] for v in verifications} >= set(METHODS)
    for verification in verifications:
        with bounded(DEFAULT_TIMEOUT, (verification["method"], text)):  # the worker's own per-item deadline
            reason, detail = check(text, verification)
        assert reason in REASONS, (verification, text, reason, detail)
        assert not PROGRAMMING_ERRORS.match(detail), (verification, text, detail)


@examples(300)
@given(math_text)
def test_inferring_a_method_from_a_bare_gold_never_raises(text):
    with bounded(TEXT_BOUND_S, text):
        verification = infer_verification(text)
    assert verification["method"] in METHODS


@examples(300)
@given(expressions, expressions)
def test_whole_expressions_reach_the_comparisons(answer, gold):
    verification = {"method": "expression", "value": gold, "variables": ["x", "y"]}
    with bounded(DEFAULT_TIMEOUT, (answer, gold)):
        reason, detail = check(answer, verification)
        same, _ = check(gold, verification)
    assert reason in REASONS | {"bad_gold"}, detail  # the gold is fuzzed too here
    assert same in ("correct", "bad_gold", "too_long"), (gold, same)  # a gold that parses equals itself


@examples(6, phases=NO_SHRINK)
@given(st.lists(completions, min_size=20, max_size=40))
def test_a_fuzzed_batch_through_the_sandboxed_pool(texts):
    """The real path (rewards -> pool of killable workers): one verdict per completion, no timeout."""
    golds = [VERIFICATIONS[k % len(VERIFICATIONS)] for k in range(len(texts))]
    with bounded(120.0, "batch"):
        verdicts = score_completions(texts, answer=[a for _, a in golds], verification=[v for v, _ in golds])
    assert len(verdicts) == len(texts)
    assert not [(t, v) for t, v in zip(texts, verdicts, strict=True) if v is None or v.reason not in REASONS]


# --- regressions: each input below broke a parser before the fix named beside it ---------------------


def test_chains_without_parentheses_are_refused_not_a_recursion_error():
    """safe_parse._Parser.unary / atom: "-" * 2077 + "x", "1^" * 2000, "sin " * 2000 raised RecursionError."""
    for text in ["-" * 2077 + "x", "1^" * 2000 + "1", "sin " * 2000 + "x", "|" * 3000]:
        try:
            parse_math(text, VARIABLES)
        except ParseError as exc:
            assert "nested too deeply" in str(exc)
        else:
            raise AssertionError(text)
    assert parse_math("-" * 40 + "x", VARIABLES) == VARIABLES["x"]  # an even run of signs still parses


def test_a_long_run_of_parentheses_is_not_a_quadratic_numeral_match():
    """numeric_methods.numeral: _NUMERAL backtracked for 5 s on "(" * 12000 (infer_verification)."""
    with bounded(TEXT_BOUND_S):
        assert infer_verification("(" * 12000)["method"] == "string"


def test_simplify_is_not_asked_to_build_a_power_from_a_log():
    """compare.simplifies_to_zero: simplify turns c*log(6) into log(6**c). Against a gold that is not
    real at any probe point, simplify(pred - gold) decides, and 2844261^2*log(6) hung there."""
    gold = {"method": "expression", "value": "sqrt(-x^2-1)", "variables": ["x"]}
    for answer in ("2844261^2*log(6)", "10^50*log(2)"):
        with bounded(DEFAULT_TIMEOUT, answer):
            assert check(answer, gold)[0] == "wrong"


def test_integers_stay_small_enough_for_sympys_primality_questions():
    """limits.MAX_WEIGHT: sympy's assumptions ask isprime() of an integer in random order; on
    16584637^1000 (7,200 digits) that outlasts any deadline, so ln(16584637^1000) hung by chance."""
    with bounded(DEFAULT_TIMEOUT):
        assert check("ln(16584637^1000)", {"method": "real", "value": "sqrt(2)"})[0] == "too_long"
        assert check("2^1000", {"method": "integer", "value": "7"})[0] == "unparseable"  # numerals only
        assert check("2^500 - 2^500 + 7", {"method": "real", "value": "7"})[0] == "correct"
