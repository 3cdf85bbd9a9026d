"""The GRPO problem row (TRL prompt-only conversational) and its declared Arrow schema.

Columns follow the issue-5 contract: `prompt` (system answer-format instruction + user question),
`question`, `answer` (plain canonical gold), `solution` (LaTeX in $...$ for TRL's
`accuracy_reward`), `answer_type`, `verification` (JSON string: method + args, read by
`synthgen.verify.check_answer`), `family`, `difficulty`, `pass_rate` (null until measured) and
`pass_rate_k` (how many attempts measured it: 1/K is its resolution; null with it), `id`,
`seed` (the item seed, enough to regenerate the item) and `source`. Every value a reward
reads is a string, so no Arrow type can differ between rows or runs.
"""

from __future__ import annotations

from typing import Any

from datasets import Features, Value

from synthgen.problems.base import Problem
from synthgen.run.features import MESSAGES
from synthgen.verify.answer_format import ANSWER_FORMAT_INSTRUCTION

PROBLEM_FEATURES = Features(
    {
        "prompt": MESSAGES,
        "question": Value("string"),
        "answer": Value("string"),
        "solution": Value("string"),
        "answer_type": Value("string"),
        "verification": Value("string"),
        "family": Value("string"),
        "difficulty": Value("int64"),
        "pass_rate": Value("float64"),
        "pass_rate_k": Value("int64"),
        "id": Value("string"),
        "seed": Value("int64"),
        "source": Value("string"),
    }
)


def problem_row(problem: Problem, pass_rate: float | None = None, pass_rate_k: int | None = None) -> dict[str, Any]:
    """The dataset row of `problem`, with the fixed answer-format system message."""
    return {
        "prompt": [
            {"role": "system", "content": ANSWER_FORMAT_INSTRUCTION},
            {"role": "user", "content": problem.question},
        ],
        "question": problem.question,
        "answer": problem.answer,
        "solution": problem.solution,
        "answer_type": problem.answer_type,
        "verification": problem.verification_json(),
        "family": problem.family,
        "difficulty": problem.difficulty,
        "pass_rate": pass_rate,
        "pass_rate_k": pass_rate_k,
        "id": problem.id,
        "seed": problem.seed,
        "source": problem.source,
    }
