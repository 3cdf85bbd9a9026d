"""`--judge auto`: which judge a run uses, decided from the judge model before anything runs.

Measured with the embedded 135M model (docs/benchmarks.md, benchmarks/judge_quality.py): its
sampled rubric and A/B verdicts are at chance on pairs whose better answer is known, while its
likelihood signals get nearly all of them right. LLM-as-judge studies find verdicts become
useful only with models of several billion parameters, so below LLM_JUDGE_MIN_PARAMS the
likelihood judge decides alone. Above it both judges must agree: the larger model's verdict
adds what likelihoods cannot see (correctness, following the instruction) and the likelihood
judge still vetoes off-topic, cut-off and degenerate answers. Only the 135M end of this is
measured here. A server whose size is unknown is treated as large; one that cannot return
prompt log-probabilities gets the LLM judge.
"""

from __future__ import annotations

from synthgen.backends.base import Backend
from synthgen.dpo.config import JudgeKind
from synthgen.errors import SynthgenError

LLM_JUDGE_MIN_PARAMS = 3_000_000_000


def can_score(backend: Backend) -> bool:
    probe = getattr(backend, "can_score", None)
    return bool(probe()) if probe is not None else False


def resolve_judge(requested: JudgeKind, judge: Backend) -> tuple[JudgeKind, str]:
    """(the judge to use, why): `auto` resolved; a likelihood judge on a backend that cannot score refused."""
    scores = can_score(judge)
    if requested is not JudgeKind.auto:
        if requested is not JudgeKind.llm and not scores:
            raise SynthgenError(
                f"--judge {requested.value} needs token log-probabilities, which this judge backend does not "
                "return (a server needs /v1/completions with echo and logprobs); use --judge llm"
            )
        return requested, "chosen with --judge"
    if not scores:
        return JudgeKind.llm, "auto: the judge backend returns no log-probabilities"
    params = judge.model_info().extra.get("n_params")
    if params is None:
        return JudgeKind.both, "auto: judge size unknown (a server), so the LLM and likelihood judges must agree"
    if params < LLM_JUDGE_MIN_PARAMS:
        return (
            JudgeKind.likelihood,
            f"auto: a {params / 1e6:.0f}M-parameter judge, below {LLM_JUDGE_MIN_PARAMS / 1e9:.0f}B",
        )
    return JudgeKind.both, f"auto: a {params / 1e9:.1f}B-parameter judge: the LLM and likelihood judges must agree"
