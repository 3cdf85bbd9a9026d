"""A scripted judge for preference tests: scores and A/B verdicts computed from the request text.

The FakeBackend's default filler does not know enums, and the tests need a judge whose verdicts
depend on the answers in controlled ways (by length, with position bias, with broken JSON).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from synthgen.backends.base import Completion, GenerationRequest
from synthgen.backends.fake import FakeBackend, fill_schema, pseudo_sentence


def is_rubric(request: GenerationRequest) -> bool:
    return request.json_schema is not None and "helpfulness" in request.json_schema.get("properties", {})


def is_pairwise(request: GenerationRequest) -> bool:
    return request.json_schema is not None and "better" in request.json_schema.get("properties", {})


def judged_response(request: GenerationRequest) -> str:
    return request.messages[0].content.split("Response to judge:\n")[1].split("\n\nRate the response")[0]


def pair_texts(request: GenerationRequest) -> tuple[str, str]:
    text = request.messages[0].content
    a = text.split("Response A:\n")[1].split("\n\nResponse B:")[0]
    b = text.split("Response B:\n")[1].split("\n\nWhich response")[0]
    return a, b


def rubric_json(score: int, rationale: str = "Fine.") -> str:
    return json.dumps(
        {
            "rationale": rationale,
            "helpfulness": score,
            "correctness": score,
            "instruction_following": score,
            "clarity": score,
        }
    )


def length_score(text: str) -> int:
    """Longer answers score higher: 1 + one point per 40 characters, capped at 10."""
    return 1 + min(9, len(text) // 40)


def answer_text(request: GenerationRequest) -> str:
    """A candidate answer whose length varies with the request's seed (4-60 words, no loops)."""
    digest = hashlib.sha256(repr((request.seed, request.messages)).encode()).digest()
    parts = [pseudo_sentence(hashlib.sha256(digest + bytes([i])).digest(), words=4) for i in range(1 + digest[0] % 15)]
    return " ".join(parts)


def make_judge(
    rubric: Callable[[GenerationRequest], str] | None = None,
    pairwise: Callable[[GenerationRequest], str] | None = None,
    answer: Callable[[GenerationRequest], str | Completion] | None = None,
) -> FakeBackend:
    """A FakeBackend answering prompts, candidates, rubric and A/B requests (defaults: by length)."""

    def default_pairwise(request: GenerationRequest) -> str:
        a, b = pair_texts(request)
        return json.dumps({"better": "A" if len(a) >= len(b) else "B"})

    def respond(request: GenerationRequest) -> str | Completion:
        if is_rubric(request):
            return rubric(request) if rubric else rubric_json(length_score(judged_response(request)))
        if is_pairwise(request):
            return (pairwise or default_pairwise)(request)
        if request.json_schema is not None:  # a self-instruct user turn
            digest = hashlib.sha256(repr((request.seed, request.messages)).encode()).digest()
            return json.dumps(fill_schema(request.json_schema, digest))
        if request.prompt is not None:  # a Magpie user turn
            return pseudo_sentence(hashlib.sha256(f"{request.seed}".encode()).digest(), words=10)
        return (answer or answer_text)(request)

    return FakeBackend(responder=respond)
