"""Fuzzing the parsers of structured model replies and of model-written problems.

Covers the JSON replies (judge rubric and A/B verdict, self-instruct task, model problem proposal
and extraction, a server's schema check), the Magpie user turn, the text gates that run regexes
over model text, the word-problem checks, and the formulation language up to its gold
computation. Inputs come from tests/fuzz_strategies.py: valid JSON, JSON cut off at any point,
JSON fragments, 100k-deep nesting, lone-surrogate escapes, NUL, invalid UTF-8. Each property
asserts the parser's documented "unusable" value and a wall-clock bound per call.

Examples per property in CI are the figures in @examples(n) (x20 with SYNTHGEN_FUZZ_PROFILE=deep).
Rerun: python -m pytest -q tests/verify/test_fuzz_parsers.py tests/text/test_fuzz_structured.py
"""

from __future__ import annotations

from fuzz_strategies import (
    NO_SHRINK,
    TEXT_BOUND_S,
    bounded,
    examples,
    formulation_expressions,
    json_replies,
    json_values,
    math_text,
)
from hypothesis import given
from hypothesis import strategies as st

from synthgen.backends.base import Completion
from synthgen.backends.server.structured import valid_json
from synthgen.dpo.judge import PAIRWISE_SCHEMA, RUBRIC_SCHEMA, RubricScores, parse_pairwise, parse_rubric
from synthgen.grpo.sourcing import word_problems
from synthgen.grpo.sourcing.formulation import (
    SOLVE_TIMEOUT_S,
    TYPES_BY_KIND,
    Formulation,
    FormulationError,
    answer_appears,
    formulation_schema,
    numeric_literals,
    parse_formulation,
    proposal_schema,
    solve_in_sandbox,
)
from synthgen.grpo.sourcing.requests import decode_formulation, decode_object
from synthgen.text.gates import GateLimits, check_defects, check_text
from synthgen.text.magpie import PreQuery
from synthgen.text.writers import WRITTEN_TASK_SCHEMA, make_plan, parse_magpie, parse_self_instruct
from synthgen.verify.api import DEFAULT_TIMEOUT
from synthgen.verify.formulation_solve import Refuse, compute
from synthgen.verify.methods import check

FINISH = st.sampled_from(["stop", "stop", "length", "error", "aborted"])
FORMULATION_REASONS = {"backend_error", "truncated", "bad_json", "bad_formulation", "wrong_arity", "bad_unknowns",
                       "type_mismatch", "invalid_characters", "not_an_equation"}  # fmt: skip
SCHEMAS = [RUBRIC_SCHEMA, PAIRWISE_SCHEMA, WRITTEN_TASK_SCHEMA, formulation_schema(), proposal_schema("solve")]
PLAN = make_plan(0, 1, "self-instruct", 0.0, ["cooking"])
PRE = PreQuery(prefix="<|im_start|>user\n", end_of_turn="<|im_end|>")
# words the gates' regexes look for, so their alternations and bounded repeats really get exercised
PROSE = st.lists(
    st.sampled_from(["please", "provide", "the", "your", "text", "I'm", "happy", "to", "help", "instruction", "field",
                     "input", "empty", "string", "[", "]", "<", ">", "{{", "}}", "{%", "${", "sure", "!", ".", "?",
                     "\n", " ", "what", "can", "I", "do", "for", "you", "Your Name", "insert", "\u2019", "sorry"])
    | st.text(max_size=3),
    max_size=400,
).map(" ".join)  # fmt: skip


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@examples(600)
@given(json_replies, FINISH)
def test_judge_replies_give_a_verdict_or_none(text, finish):
    completion = Completion(text=text, finish_reason=finish)
    with bounded(TEXT_BOUND_S, text):
        rubric, letter = parse_rubric(completion), parse_pairwise(completion)
    assert rubric is None or (isinstance(rubric, RubricScores) and 1.0 <= rubric.score <= 10.0)
    assert letter in (None, "A", "B")
    assert rubric is None or (finish != "error" and valid_json(text, RUBRIC_SCHEMA))
    assert letter is None or (finish != "error" and valid_json(text, PAIRWISE_SCHEMA))


@examples(600)
@given(json_replies, FINISH)
def test_user_turn_writers_give_a_writable_turn_or_a_reason(text, finish):
    completion = Completion(text=text, finish_reason=finish)
    with bounded(TEXT_BOUND_S, text):
        results = [parse_self_instruct(PLAN, completion), parse_magpie(PRE, completion)]
    for user, reason in results:
        assert (user is None) != (reason is None)
        assert reason is None or reason.startswith("instruction_")
    user = results[0][0]
    assert user is None or _utf8(user)  # a self-instruct turn goes into Parquet: no lone surrogate


@examples(600)
@given(json_replies, FINISH)
def test_problem_replies_decode_or_give_a_counted_reason(text, finish):
    completion = Completion(text=text, finish_reason=finish)
    for decode, kind in ((decode_object, dict), (decode_formulation, Formulation)):
        with bounded(TEXT_BOUND_S, text):
            try:
                value = decode(completion)
            except FormulationError as exc:
                assert exc.reason in FORMULATION_REASONS
                continue
        assert isinstance(value, kind)
    with bounded(TEXT_BOUND_S, text):
        assert all(valid_json(text, schema) in (True, False) for schema in SCHEMAS)


@examples(400)
@given(json_values)
def test_any_decoded_value_is_a_formulation_or_a_reason(value):
    with bounded(TEXT_BOUND_S, value):
        try:
            formulation = parse_formulation(value)
        except FormulationError as exc:
            assert exc.reason in FORMULATION_REASONS
            return
    assert formulation.answer_type in TYPES_BY_KIND[formulation.kind]


@examples(400)
@given(st.one_of(PROSE, math_text, json_replies), st.one_of(PROSE, math_text))
def test_text_gates_and_word_problem_checks_stay_fast(text, other):
    with bounded(TEXT_BOUND_S, text):
        verdict = check_text(text, GateLimits(), "response")
        defect = check_defects(text, other)
        exercise, tail = word_problems.split_question(text)
        missing = word_problems.missing_quantities(other, text)
        copy = word_problems.is_copy(other[:400], text[:800])  # the rewrite's schema caps its length
        appears = answer_appears(other[:40], text)
        literals = numeric_literals([text])
    assert verdict is None or verdict.startswith("response_")
    assert defect is None or defect.startswith(("instruction_", "response_"))
    assert (f"{exercise} {tail}" if tail else exercise) == text
    assert isinstance(missing, list) and copy in (True, False) and appears in (True, False)
    assert all(s.replace(".", "", 1).isdigit() for s in literals)


@st.composite
def formulations(draw) -> dict:
    """Formulations of every kind with the arity its kind needs, so they reach compute()."""
    kind = draw(st.sampled_from(sorted(TYPES_BY_KIND)))
    answer_type = draw(st.sampled_from(TYPES_BY_KIND[kind]))

    def expr() -> str:
        return draw(formulation_expressions)[:80]

    if kind == "system":
        unknowns = ["x", "y", "z"][: draw(st.integers(2, 3))]
        expressions = [f"{expr().replace('y', unknowns[-1])} = {expr()}"[:80] for _ in unknowns]
    elif kind == "solve":
        unknowns, expressions = ["x"], [f"{expr()} = {expr()}"[:80].replace("y", "x")]
    elif kind == "evaluate":
        unknowns, expressions = [], [expr().replace("x", "2").replace("y", "3")]
    elif kind == "integrate" and answer_type != "expression":
        lower = str(draw(st.integers(-5, 5)))
        unknowns, expressions = ["x"], [expr().replace("y", "x"), lower, expr().replace("x", "2")]
    else:
        unknowns, expressions = ["x"], [expr().replace("y", "x")]
    return {"kind": kind, "expressions": expressions, "unknowns": unknowns, "answer_type": answer_type}


@examples(8, phases=NO_SHRINK)
@given(st.lists(formulations(), min_size=10, max_size=20))
def test_model_formulations_give_a_gold_that_verifies_or_a_reason_within_the_deadline(batch):
    """Through the sandboxed pool, as the model source runs them: sympy's solving is only bounded
    by the worker's deadline, so that is the bound asserted; a gold must verify against itself."""
    with bounded(SOLVE_TIMEOUT_S * len(batch) + 30, "batch"):
        results = solve_in_sandbox([{"f": f} for f in batch])
    assert len(results) == len(batch)
    assert not [f for f, r in zip(batch, results, strict=True) if r.get("reason") == "timeout"]
    for result in results:
        if not result["ok"]:  # "sympy_failed" included: sympy's own "could not solve" is an unusable problem
            assert result["reason"] and result["reason"].replace("_", "").isalpha(), result
            continue
        gold = {"method": result["answer_type"], **result["verification"]}
        with bounded(DEFAULT_TIMEOUT, result):
            verdict, detail = check(result["answer"], gold, 4000)
        assert verdict == "correct", (result, detail)


# --- regressions: each input below broke a parser before the fix named beside it ---------------------


def test_deeply_nested_replies_are_unparseable_not_a_recursion_error():
    """backends.json_grammar.load_reply (used by dpo.judge.parse_rubric / parse_pairwise,
    text.writers.parse_self_instruct, grpo.sourcing.requests.decode_object): "[" * 100000 raised
    RecursionError out of every JSON reply parser."""
    for text in ("[" * 100_000, '{"better":' * 50_000):
        completion = Completion(text=text)
        assert parse_rubric(completion) is None and parse_pairwise(completion) is None
        assert parse_self_instruct(PLAN, completion) == (None, "instruction_unparseable")
        try:
            decode_object(completion)
        except FormulationError as exc:
            assert exc.reason == "bad_json"
        else:
            raise AssertionError("decoded")


def test_a_lone_surrogate_escape_is_an_unparseable_reply():
    r"""The grammar lets a model write "\ud800"; the decoded string cannot be written to Parquet."""
    reply = '{"instruction": "Summarise this recipe for me \\ud800 please.", "input": ""}'
    assert parse_self_instruct(PLAN, Completion(text=reply)) == (None, "instruction_unparseable")
    fine = reply.replace("\\ud800", "\\u00e9")
    assert parse_self_instruct(PLAN, Completion(text=fine))[1] != "instruction_unparseable"


def test_formulations_that_would_build_giant_numbers_are_refused_quickly():
    """formulation_solve._definite (bounds up to 52^1000, (5^x)^(1/3) up to 8*10^8), _number (simplify's logcombine on
    log(6)*2844261^2), compute (solving ln(x) = 2^33; powers of x above MAX_DEGREE; 8565262^1000, e^100) and _system
    (solve() on y^1000) ran until the worker's deadline."""
    giant = [
        {"kind": "integrate", "expressions": ["5x^1000", "0", "52^1000"], "unknowns": ["x"], "answer_type": "real"},
        {"kind": "evaluate", "expressions": ["(log(6)*2844261^2)"], "unknowns": [], "answer_type": "real"},
        {
            "kind": "solve",
            "expressions": ["ln((0^x+(x+0))) = (0+8589934592)"],
            "unknowns": ["x"],
            "answer_type": "integer",
        },
        {"kind": "system", "expressions": ["x^2 = y", "y^1000 = 2"], "unknowns": ["x", "y"], "answer_type": "tuple"},
        {"kind": "solve", "expressions": ["x^1000 - x = pi^1000"], "unknowns": ["x"], "answer_type": "set"},
        {"kind": "integrate", "expressions": ["(x+3)^1000", "-5", "11"], "unknowns": ["x"], "answer_type": "integer"},
        {"kind": "solve", "expressions": ["(x^2-e/x)^2^(1/3) = 7"], "unknowns": ["x"], "answer_type": "integer"},
        {"kind": "solve", "expressions": ["cos(e^3) = x^2/8565262^1000"], "unknowns": ["x"], "answer_type": "real"},
        {"kind": "integrate", "expressions": ["5^(x/3)", "3", "800000000"], "unknowns": ["x"], "answer_type": "real"},
        {"kind": "solve", "expressions": ["112 + x - x^(1/3) = e^100"], "unknowns": ["x"], "answer_type": "rational"},
    ]
    for data in giant:
        with bounded(TEXT_BOUND_S, data):
            try:
                compute(parse_formulation(data).model_dump())
            except Refuse as exc:
                assert exc.reason in ("out_of_range", "too_large", "too_hard")
            else:
                raise AssertionError(data)


def test_a_gold_its_own_verifier_cannot_read_is_refused():
    """formulation_solve.compute: differentiating abs(x) gave the gold "sign(x)", a name the
    verifier's parser does not know, so every reward on that row would have been None."""
    data = {"kind": "differentiate", "expressions": ["x*abs(x)"], "unknowns": ["x"], "answer_type": "expression"}
    try:
        compute(parse_formulation(data).model_dump())
    except Refuse as exc:
        assert exc.reason == "gold_does_not_verify"
    else:
        raise AssertionError(data)
    plain = {"kind": "differentiate", "expressions": ["x^3"], "unknowns": ["x"], "answer_type": "expression"}
    assert compute(parse_formulation(plain).model_dump())["answer"] == "3*x**2"
