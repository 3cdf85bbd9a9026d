"""Tests for synthgen.backends.fake.FakeBackend and the request/response models of backends.base."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field, ValidationError

from synthgen.backends.base import (
    Backend,
    Completion,
    GenerationRequest,
    Message,
    ModelInfo,
    SamplingParams,
)
from synthgen.backends.fake import FakeBackend


class Written(BaseModel):
    instruction: str = Field(min_length=10, max_length=40)
    input: str = Field(max_length=1200)
    tags: list[str] = Field(max_length=3)


def _chat(text: str, seed: int = 0, **kw) -> GenerationRequest:
    return GenerationRequest(messages=[Message(role="user", content=text)], seed=seed, **kw)


def test_is_a_backend():
    backend = FakeBackend()
    assert isinstance(backend, Backend)
    info = backend.model_info()
    assert isinstance(info, ModelInfo)
    assert info.chat_template and info.eos_token


def test_same_request_same_text_even_across_instances():
    request = _chat("Write a poem about rain.", seed=7)
    a = FakeBackend().generate([request])[0]
    b = FakeBackend().generate([request, _chat("other", seed=1)])[0]
    assert a.text == b.text
    assert a.text.strip()
    assert a.finish_reason == "stop"


def test_different_seeds_and_inputs_give_different_text():
    backend = FakeBackend()
    texts = [c.text for c in backend.generate([_chat("Same prompt", seed=s) for s in range(50)])]
    assert len(set(texts)) == 50
    by_prompt = backend.generate([_chat("prompt one"), _chat("prompt two"), GenerationRequest(prompt="prompt one")])
    assert len({c.text for c in by_prompt}) == 3


def test_output_does_not_depend_on_batch_position():
    requests = [_chat(f"q{i}", seed=i) for i in range(6)]
    together = [c.text for c in FakeBackend().generate(requests)]
    alone = [FakeBackend().generate([r])[0].text for r in requests]
    reversed_ = [c.text for c in FakeBackend().generate(list(reversed(requests)))]
    assert together == alone == list(reversed(reversed_))


def test_json_schema_requests_return_valid_json():
    schema = Written.model_json_schema()
    backend = FakeBackend()
    completions = backend.generate([_chat(f"task {i}", seed=i, json_schema=schema) for i in range(30)])
    values = [Written.model_validate_json(c.text) for c in completions]  # raises if invalid
    assert len({v.instruction for v in values}) > 1
    for c in completions:
        assert isinstance(json.loads(c.text), dict)


def test_json_schema_types():
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer"},
            "flag": {"type": "boolean"},
            "words": {"type": "array", "items": {"type": "string", "maxLength": 5}},
            "nested": {"type": "object", "properties": {"x": {"type": "string"}}},
        },
    }
    value = json.loads(FakeBackend().generate([_chat("x", json_schema=schema)])[0].text)
    assert isinstance(value["n"], int) and not isinstance(value["n"], bool)
    assert isinstance(value["flag"], bool)
    assert value["words"] and all(isinstance(w, str) and len(w) <= 5 for w in value["words"])
    assert isinstance(value["nested"]["x"], str)


class Scored(BaseModel):
    score: int = Field(ge=1, le=5)
    tags: list[str] = Field(min_length=2, max_length=4)


def test_json_schema_with_bounds_returns_valid_json():
    schema = Scored.model_json_schema()
    for completion in FakeBackend().generate([_chat(f"t{i}", seed=i, json_schema=schema) for i in range(10)]):
        Scored.model_validate_json(completion.text)


def test_enqueue_scripts_replies_in_order_then_falls_back():
    backend = FakeBackend()
    scripted = Completion(text="", finish_reason="error", error="context overflow")
    backend.enqueue(["first", scripted])
    backend.enqueue(["third"])
    out = backend.generate([_chat("a"), _chat("b"), _chat("c"), _chat("d", seed=3)])
    assert [c.text for c in out[:3]] == ["first", "", "third"]
    assert out[1] is scripted
    assert out[0].finish_reason == "stop"
    assert out[3].text == FakeBackend().generate([_chat("d", seed=3)])[0].text  # queue exhausted
    assert not backend.queue


def test_enqueue_is_used_before_the_responder():
    seen = []

    def responder(request: GenerationRequest) -> str:
        seen.append(request)
        return f"responder:{request.seed}"

    backend = FakeBackend(responder=responder)
    backend.enqueue(["scripted"])
    out = backend.generate([_chat("a", seed=1), _chat("b", seed=2)])
    assert [c.text for c in out] == ["scripted", "responder:2"]
    assert [r.seed for r in seen] == [2]


def test_responder_overrides_json_default():
    backend = FakeBackend(responder=lambda r: "not json")
    out = backend.generate([_chat("a", json_schema={"type": "object", "properties": {}})])
    assert out[0].text == "not json"


def test_completion_token_counts():
    backend = FakeBackend()
    backend.enqueue(["one two three", ""])
    out = backend.generate([_chat("a"), _chat("b")])
    assert out[0].completion_tokens == 3
    assert out[1].completion_tokens >= 1
    assert all(c.prompt_tokens > 0 for c in out)


def test_history_and_batches_record_requests():
    backend = FakeBackend()
    first = [_chat("a", seed=1), GenerationRequest(prompt="raw prompt", seed=2)]
    second = [_chat("c", seed=3)]
    backend.generate(first)
    backend.generate(second)
    backend.generate([])
    assert backend.history == first + second
    assert backend.batches == [2, 1, 0]


def test_custom_chat_template_is_reported():
    template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    assert FakeBackend(chat_template=template).model_info().chat_template == template


# --- request model validation -------------------------------------------------------------------


def test_request_needs_exactly_one_input():
    with pytest.raises(ValidationError):
        GenerationRequest()
    with pytest.raises(ValidationError):
        GenerationRequest(prompt="p", messages=[Message(role="user", content="m")])
    assert GenerationRequest(prompt="").prompt == ""


@pytest.mark.parametrize(
    "kwargs",
    [{"seed": -1}, {"unknown_field": 1}],
)
def test_request_rejects_bad_fields(kwargs):
    with pytest.raises(ValidationError):
        GenerationRequest(prompt="p", **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_tokens": 0}, {"temperature": -0.1}, {"top_p": 0}, {"top_p": 1.5}, {"min_p": 2}, {"typo": 1}],
)
def test_sampling_params_validation(kwargs):
    with pytest.raises(ValidationError):
        SamplingParams(**kwargs)


def test_message_roles():
    with pytest.raises(ValidationError):
        Message(role="tool", content="x")
    assert Message(role="assistant", content="x").model_dump() == {"role": "assistant", "content": "x"}
