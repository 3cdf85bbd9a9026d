"""Request building and reply decoding shared by the model-based problem sources.

Every request is grammar-constrained JSON with a per-request seed derived from (run seed, slot,
phase), so a slot's model output never depends on what else was in its batch and a resumed run
asks the same questions again. Replies are untrusted: decoding failures become counted reasons.
"""

from __future__ import annotations

import hashlib

from synthgen.backends.base import Completion, GenerationRequest, Message, SamplingParams
from synthgen.backends.json_grammar import load_reply
from synthgen.grpo.sourcing.formulation import Formulation, FormulationError, formulation_schema, parse_formulation
from synthgen.text.prompts import PromptSet

PROPOSE_PROMPT = "math_propose.txt"
EXTRACT_PROMPT = "math_extract.txt"
WORD_PROMPT = "math_word_problem.txt"
PROMPT_FILES = [PROPOSE_PROMPT, EXTRACT_PROMPT, WORD_PROMPT]

CREATIVE = SamplingParams(max_tokens=320, temperature=0.7, top_p=0.95, top_k=40, min_p=0.05, repeat_penalty=1.1)
PRECISE = SamplingParams(max_tokens=200, temperature=0.2, top_p=0.95, top_k=40, min_p=0.05, repeat_penalty=1.0)


def request_seed(run_seed: int, slot: int, phase: str) -> int:
    """A per-request sampling seed from the run seed, the slot and the phase (31 bits)."""
    return int(hashlib.sha256(f"{run_seed}|{slot}|{phase}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


def json_request(prompt: str, schema: dict, params: SamplingParams, seed: int) -> GenerationRequest:
    return GenerationRequest(
        messages=[Message(role="user", content=prompt)], params=params, json_schema=schema, seed=seed
    )


def extraction_request(prompts: PromptSet, question: str, run_seed: int, slot: int) -> GenerationRequest:
    """Show the model ONLY the question text and ask for its formulation (any kind)."""
    prompt = prompts.render(EXTRACT_PROMPT, question=question)
    return json_request(prompt, formulation_schema(None), PRECISE, request_seed(run_seed, slot, "extract"))


def decode_object(completion: Completion) -> dict:
    """The reply as a JSON object, or FormulationError(reason)."""
    if completion.finish_reason == "error":
        raise FormulationError("backend_error", completion.error or "")
    if completion.finish_reason == "length":
        raise FormulationError("truncated")
    try:
        value = load_reply(completion.text, strict=True)
    except ValueError:
        raise FormulationError("bad_json") from None
    if not isinstance(value, dict):
        raise FormulationError("bad_json")
    return value


def decode_formulation(completion: Completion) -> Formulation:
    """An extraction reply as a validated Formulation, or FormulationError(reason)."""
    return parse_formulation(decode_object(completion))


def expected_of(kind: str, unknowns: list[str], answer_type: str, verification: dict) -> dict:
    """What a re-extraction must reproduce; unknown names matter only when the answer names them."""
    names_matter = answer_type in ("tuple", "expression", "antiderivative")
    clean = {k: v for k, v in verification.items() if k != "provenance"}
    return {"kind": kind, "unknowns": unknowns, "answer_type": answer_type, "verification": clean,
            "names_matter": names_matter}  # fmt: skip
