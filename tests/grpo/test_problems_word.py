"""`--word-problems`: quantity check, answer leaks, extraction agreement; golds stay the procedural ones."""

from __future__ import annotations

import json
import random

import pytest
from model_source_fakes import ProblemResponder

import synthgen
from synthgen.backends.base import Completion
from synthgen.backends.fake import FakeBackend
from synthgen.errors import SynthgenError
from synthgen.grpo.sourcing.formulation import answer_appears
from synthgen.grpo.sourcing.word_problems import (
    WORD_FAMILIES,
    WordProblems,
    given_quantities,
    is_copy,
    missing_quantities,
    split_question,
)
from synthgen.problems import FAMILIES
from synthgen.text.prompts import PromptSet
from synthgen.verify import check_gold

FAMS = "alg.linear_1d,arith.rational_chain,alg.linear_system"


def story(exercise: str, seed: int) -> str:
    body = exercise.rstrip(".").split(": ", 1)[-1].replace("Compute the exact value of ", "")
    return f"At the village market, the baker wrote a puzzle on the board: {body}"


def test_split_and_given_quantities():
    q = "Solve for x: 3*x**2 + 5 = 2*x - 7.5. Give x as an integer or a fraction in lowest terms."
    exercise, tail = split_question(q)
    assert exercise == "Solve for x: 3*x**2 + 5 = 2*x - 7.5." and tail.startswith("Give x as")
    assert given_quantities(exercise) == ["3", "5", "2", "7.5"]  # the exponent 2 of x**2 is not a quantity
    assert missing_quantities(exercise, "three apples, 5 pears, two figs, 7.5 kg") == []
    assert missing_quantities(exercise, "3 apples, 5 pears and 7 kg") == ["2", "7.5"]
    assert missing_quantities("Compute 13 + 4.", "Add 133 and 4") == ["13"]  # digits inside numbers do not count
    assert split_question("No tail here.") == ("No tail here.", "")
    assert is_copy("Solve for x: 3*x + 5 = 7.", "Solve for x: 3*x + 5 = 7,")
    assert is_copy("Solve for x: 3*x + 5 = 7.", "Please solve for x: 3 * x + 5 = 7.")
    assert not is_copy("Solve for x: 3*x + 5 = 7.", "Ann has 3 bags of x apples and 5 more; she has 7 apples.")


def test_word_problem_rows_keep_the_procedural_gold(tmp_path):
    fake = FakeBackend(ProblemResponder(rewrite=story))
    result = synthgen.math(6, tmp_path / "w", families=FAMS, word_problems=True, backend=fake, progress=False)
    plain = synthgen.math(6, tmp_path / "p", families=FAMS, progress=False).dataset().to_list()
    rows = result.dataset().to_list()
    assert len(rows) == 6
    for row, original in zip(rows, plain, strict=True):
        assert row["source"] == "word_problem" and row["family"] == original["family"]
        for key in ("id", "answer", "solution", "answer_type"):
            assert row[key] == original[key]
        assert row["question"].startswith("At the village market") and row["question"] != original["question"]
        assert row["question"].endswith(split_question(original["question"])[1])
        verification = json.loads(row["verification"])
        assert verification["provenance"]["original_question"] == original["question"]
        assert check_gold(row).reason == "correct"
    assert fake.batches == [16, 16]  # one rewrite call, one extraction call
    report = synthgen.verify_dataset(tmp_path / "w")
    assert report.ok and report.rows == 6, report.failures
    assert result.counters["model_source"]["accepted"] == 6


def test_dropped_quantity_and_disagreeing_extraction_are_rejected(tmp_path):
    def lossy(exercise, seed):
        return story(exercise, seed) if seed % 3 else "A baker sold some bread and then some more bread today."

    def shifted(formulation):
        return {**formulation, "expressions": [e.replace("=", "= 1 +", 1) for e in formulation["expressions"]]}

    fake = FakeBackend(ProblemResponder(rewrite=lossy))
    result = synthgen.math(4, tmp_path / "a", families=FAMS, word_problems=True, backend=fake, progress=False)
    assert result.counters["rejected_slots"]["quantity_missing"] >= 1 and result.rows == 4
    fake = FakeBackend(ProblemResponder(rewrite=story, mutate=shifted))
    with pytest.raises(SynthgenError) as info:
        synthgen.math(2, tmp_path / "b", families="alg.linear_1d,alg.linear_system", word_problems=True,
                      backend=fake, progress=False, max_attempts=12)  # fmt: skip
    assert "extraction_disagrees=12" in str(info.value) and "word-problem rewrites: 0 of 12" in str(info.value)


def test_answer_leak_is_rejected():
    draws = (FAMILIES["alg.linear_1d"].draw(random.Random(seed), 1) for seed in range(50))
    problem = next(p for p in draws if not answer_appears(p.answer, p.question))  # else a mention is no leak
    exercise, _ = split_question(problem.question)
    stage = WordProblems(FakeBackend(), PromptSet(), 0, [])
    leak = f"{story(exercise, 0)}. The answer is {problem.answer}."
    reason, _ = stage._rewritten(problem, Completion(text=json.dumps({"word_problem": leak})))
    assert reason == "answer_in_question"
    reason, kept = stage._rewritten(problem, Completion(text=json.dumps({"word_problem": story(exercise, 0)})))
    assert reason is None and kept.source == "word_problem" and kept.answer == problem.answer
    echo = json.dumps({"word_problem": exercise})
    assert stage._rewritten(problem, Completion(text=echo))[0] == "not_rewritten"
    reason, _ = stage._rewritten(problem, Completion(text="{", finish_reason="length"))
    assert reason == "truncated"


def test_family_selection_for_word_problems(tmp_path):
    fake = FakeBackend(ProblemResponder(rewrite=story))
    result = synthgen.math(3, tmp_path / "d", word_problems=True, backend=fake, progress=False, max_attempts=100)
    assert set(result.dataset()["family"]) <= set(WORD_FAMILIES)  # default families narrowed to rewritable ones
    assert set(json.loads((tmp_path / "d" / "manifest.json").read_text())["config"]["families"]) == set(WORD_FAMILIES)
    with pytest.raises(SynthgenError, match="cannot rewrite numtheory.gcd"):
        synthgen.math(3, tmp_path / "e", families="numtheory.gcd", word_problems=True, backend=fake, progress=False)
