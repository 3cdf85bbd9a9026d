"""The requests of a preference attempt: user turn, candidates, rubric and A/B verdicts.

Pure functions of (config, templates, attempt state), like the instruction writers, so the loop
only decides when a request is ready and what its completion means.
"""

from __future__ import annotations

from synthgen.backends.base import GenerationRequest, Message, SamplingParams
from synthgen.dpo.attempt import Attempt, Candidate
from synthgen.dpo.config import PreferencesConfig
from synthgen.dpo.judge import pairwise_request, rubric_request
from synthgen.run.seeds import derive_seed
from synthgen.text.magpie import PreQuery
from synthgen.text.prompts import PromptSet
from synthgen.text.writers import magpie_request, self_instruct_request


def plan_candidates(cfg: PreferencesConfig, attempt: Attempt) -> list[Candidate]:
    """k candidates: principles rotated by the attempt seed, temperatures cycled."""
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


def pairwise_for(cfg: PreferencesConfig, prompts: PromptSet, attempt: Attempt, order: int) -> GenerationRequest:
    """Order 0 shows chosen as A, order 1 as B; the verdict is sampled (see pairwise_temperature)."""
    chosen, rejected = (attempt.candidates[i].text for i in attempt.pair)
    a, b = (chosen, rejected) if order == 0 else (rejected, chosen)
    retry = attempt.pairwise_retry[order]
    seed = derive_seed(attempt.seed, order * 10 + retry, "pairwise")
    params = cfg.judge_params.model_copy(update={"temperature": cfg.pairwise_temperature})
    return pairwise_request(prompts, attempt.prompt, a, b, params, seed)
