"""The requests of a preference attempt: user turn, candidates, rubric and A/B verdicts.

Pure functions of (config, templates, attempt state), like the instruction writers, so the loop
only decides when a request is ready and what its completion means.
"""

from __future__ import annotations

from synthgen.backends.base import GenerationRequest, Message, SamplingParams
from synthgen.dpo.attempt import Attempt, Candidate, PairCheck
from synthgen.dpo.config import POOR_PRINCIPLES, CandidatesMode, PreferencesConfig
from synthgen.dpo.judge import pairwise_request, rubric_request
from synthgen.run.seeds import derive_seed
from synthgen.text.likelihood import signal_requests
from synthgen.text.magpie import PreQuery
from synthgen.text.prompts import PromptSet
from synthgen.text.writers import magpie_request, self_instruct_request


def plan_candidates(cfg: PreferencesConfig, attempt: Attempt) -> list[Candidate]:
    """The attempt's candidates: given (--candidates-from), a contrastive pair, or k under principles.

    Principles: k candidates, principles rotated by the attempt seed, temperatures cycled.
    Contrast: candidate 0 under the helpful principle, candidate 1 under a poor one (vague,
    off-topic or careless, rotated by the attempt seed), both at the first temperature, so the
    order is known by construction (RLCD) and the judge only confirms it.
    """
    if cfg.candidates_mode is CandidatesMode.given:
        return [
            Candidate(index=i, principle="given", temperature=0.0, seed=0, text=text)
            for i, text in enumerate(attempt.given or [])
        ]
    if cfg.candidates_mode is CandidatesMode.contrast:
        poor = POOR_PRINCIPLES[attempt.seed % len(POOR_PRINCIPLES)]
        return [
            Candidate(
                index=i, principle=p, temperature=cfg.temperatures[0], seed=derive_seed(attempt.seed, i, "candidate")
            )
            for i, p in enumerate(("helpful", poor))
        ]
    shift = attempt.seed % len(cfg.principles)
    return [
        Candidate(
            index=i,
            principle=cfg.principles[(shift + i) % len(cfg.principles)],
            temperature=cfg.temperatures[i % len(cfg.temperatures)],
            seed=derive_seed(attempt.seed, i, "candidate"),
        )
        for i in range(cfg.candidates)
    ]


def user_request(cfg: PreferencesConfig, prompts: PromptSet, pre: PreQuery | None, attempt: Attempt):
    """A fresh prompt's user turn, written as `instructions` writes it (Magpie or self-instruct)."""
    if attempt.plan.method == "magpie":
        return magpie_request(attempt.plan, pre, cfg.magpie_params)
    return self_instruct_request(attempt.plan, prompts, cfg.instruction_params, attempt.retry)


def candidate_request(cfg: PreferencesConfig, prompts: PromptSet, attempt: Attempt, cand: Candidate):
    """The prompt answered under the candidate's principle, as a leading system turn."""
    principle = prompts.text(f"principle_{cand.principle}.txt").strip()
    prompt = attempt.prompt
    if prompt[0].role == "system":  # the principle joins the row's own system turn
        prompt = [Message(role="system", content=f"{prompt[0].content}\n\n{principle}"), *prompt[1:]]
    else:
        prompt = [Message(role="system", content=principle), *prompt]
    params = cfg.response_params.model_copy(update={"temperature": cand.temperature})
    return GenerationRequest(messages=prompt, params=params, seed=cand.seed)


def judge_params(cfg: PreferencesConfig, retry: int) -> SamplingParams:
    """Greedy for the first try; a retry samples, since greedy decoding would repeat the failure."""
    if retry:
        return cfg.judge_params.model_copy(update={"temperature": cfg.judge_retry_temperature})
    return cfg.judge_params


def rubric_for(cfg: PreferencesConfig, prompts: PromptSet, attempt: Attempt, cand: Candidate) -> GenerationRequest:
    seed = derive_seed(cand.seed, cand.judge_retry, "judge")
    return rubric_request(prompts, attempt.prompt, cand.text, judge_params(cfg, cand.judge_retry), seed)


def score_for(attempt: Attempt, cand: Candidate, part: int) -> GenerationRequest:
    """The candidate's scoring request: part 0 after the prompt, part 1 after no prompt."""
    return signal_requests(attempt.prompt, cand.text)[part]


def pairwise_for(
    cfg: PreferencesConfig, prompts: PromptSet, attempt: Attempt, check: PairCheck, order: int
) -> GenerationRequest:
    """Order 0 shows chosen as A, order 1 as B; the verdict is sampled (see pairwise_temperature)."""
    chosen, rejected = attempt.candidates[check.chosen].text, attempt.candidates[check.rejected].text
    a, b = (chosen, rejected) if order == 0 else (rejected, chosen)
    retry = check.retry[order]
    salt = "pairwise" if check.control is None else f"control-{check.control}"
    seed = derive_seed(attempt.seed, order * 10 + retry, salt)
    params = cfg.judge_params.model_copy(update={"temperature": cfg.pairwise_temperature})
    return pairwise_request(prompts, attempt.prompt, a, b, params, seed)
