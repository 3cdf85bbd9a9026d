"""Tests for synthgen.backends.json_grammar: the GBNF it writes is parsed and enforced by llama.cpp itself.

`llama_cpp.LlamaGrammar.from_string` (0.3.x) only stores the string and never parses it, so it
cannot tell a good grammar from a bad one. These tests therefore go through llama.cpp's C grammar
parser and sampler (`llama_sampler_init_grammar`), with the vocabulary of the embedded model loaded
`vocab_only` (no weights, a fraction of a second): a grammar that fails to parse gives NULL, and a
text is in the grammar's language when each of its tokens, then EOS, survives the grammar sampler.
"""

from __future__ import annotations

import json
from typing import Literal

import pytest
from grammar_helpers import accepts, parses, representable
from pydantic import BaseModel, Field, ValidationError

from synthgen.backends.json_grammar import schema_to_gbnf


class Task(BaseModel):
    instruction: str = Field(min_length=5, max_length=40)
    score: int = Field(ge=1, le=5)
    tags: list[str] = Field(min_length=1, max_length=3)


class Inner(BaseModel):
    name: str
    ok: bool


class Outer(BaseModel):
    kind: Literal["qa", "essay"]
    weight: float
    inner: Inner
    items: list[Inner] = Field(max_length=2)
    note: str = Field(max_length=300)


def test_helper_detects_a_broken_grammar(vocab_model):
    """The parse check used below can fail: a malformed grammar is refused by llama.cpp."""
    assert not parses(vocab_model, 'root ::= "a" (')
    assert not parses(vocab_model, "root ::= undefined-rule")
    assert parses(vocab_model, 'root ::= "a"')
    assert accepts(vocab_model, 'root ::= "ab"', "ab")
    assert not accepts(vocab_model, 'root ::= "ab"', "ba")
    assert not accepts(vocab_model, 'root ::= "ab"', "a")  # incomplete: EOS not allowed yet


@pytest.mark.parametrize("model_cls", [Task, Outer])
def test_grammar_for_pydantic_model_parses_in_llama_cpp(vocab_model, model_cls):
    gbnf = schema_to_gbnf(model_cls.model_json_schema())
    assert gbnf.endswith("\n")
    assert parses(vocab_model, gbnf)


def test_grammar_is_compact_for_long_strings():
    """maxLength is bounded repetition, not hundreds of nested optional groups."""
    schema = {"type": "object", "properties": {"text": {"type": "string", "maxLength": 3000}}}
    assert len(schema_to_gbnf(schema)) < 2000


@pytest.mark.parametrize(
    "instance",
    [
        Task(instruction="Write a haiku", score=3, tags=["poem", "short"]),
        Task(instruction="x" * 40, score=1, tags=["a"]),
        Task(instruction="abcde", score=5, tags=["a", "b", "c"]),
        Task(instruction='Say "hi"\n\tthen caf\u00e9 \u2603', score=2, tags=[""]),
    ],
)
def test_valid_instances_are_accepted(vocab_model, instance):
    gbnf = schema_to_gbnf(Task.model_json_schema())
    assert accepts(vocab_model, gbnf, instance.model_dump_json())  # compact
    assert accepts(vocab_model, gbnf, json.dumps(instance.model_dump()))  # ", " and ": " spacing


def test_nested_instance_is_accepted(vocab_model):
    gbnf = schema_to_gbnf(Outer.model_json_schema())
    value = Outer(
        kind="essay",
        weight=-12.5e3,
        inner=Inner(name="n", ok=True),
        items=[Inner(name="a", ok=False), Inner(name="b", ok=True)],
        note="fine",
    )
    assert accepts(vocab_model, gbnf, value.model_dump_json())
    assert accepts(vocab_model, gbnf, value.model_dump_json().replace('"essay"', '"qa"'))
    assert not accepts(vocab_model, gbnf, value.model_dump_json().replace('"essay"', '"poem"'))
    too_many = value.model_dump_json().replace('"items":[', '"items":[{"name":"c","ok":true},')
    with pytest.raises(ValidationError):
        Outer.model_validate_json(too_many)
    assert not accepts(vocab_model, gbnf, too_many)


@pytest.mark.parametrize(
    "text",
    [
        '{"instruction": "Wri", "score": 3, "tags": ["x"]}',  # shorter than min_length
        '{"instruction": "' + "x" * 41 + '", "score": 3, "tags": ["x"]}',  # longer than max_length
        '{"instruction": "Write a haiku", "score": 0, "tags": ["x"]}',  # below minimum
        '{"instruction": "Write a haiku", "score": 6, "tags": ["x"]}',  # above maximum
        '{"instruction": "Write a haiku", "score": "3", "tags": ["x"]}',  # wrong type
        '{"instruction": "Write a haiku", "score": 3, "tags": []}',  # too few items
        '{"instruction": "Write a haiku", "score": 3, "tags": ["a", "b", "c", "d"]}',  # too many
        '{"instruction": "Write a haiku", "score": 3}',  # missing field
        '{"instruction": "Write a haiku", "score": 3, "tags": ["x"]',  # unterminated
        '{"instruction": "bad \\q escape", "score": 3, "tags": ["x"]}',  # invalid escape
    ],
)
def test_invalid_instances_are_rejected(vocab_model, text):
    with pytest.raises(ValidationError):
        Task.model_validate_json(text, strict=True)
    assert not accepts(vocab_model, schema_to_gbnf(Task.model_json_schema()), text)


def test_char_rule_excludes_control_characters(vocab_model):
    gbnf = schema_to_gbnf({"type": "object", "properties": {"s": {"type": "string"}}})
    assert accepts(vocab_model, gbnf, '{"s": "plain text"}')
    tested = 0
    for code in list(range(0x00, 0x20)) + [0x7F]:
        raw = '{"s": "a' + chr(code) + 'b"}'
        if not representable(vocab_model, raw):
            continue  # no token spells this byte, so the model cannot emit it anyway
        assert not accepts(vocab_model, gbnf, raw), f"raw U+{code:04X} admitted inside a string"
        tested += 1
    assert tested >= 20  # including the common offenders
    for code in (0x0A, 0x09, 0x0D, 0x00):
        assert representable(vocab_model, '"' + chr(code) + '"')
    # the escaped forms of control characters are what JSON wants, and they are admitted
    for escaped in ("\\n", "\\t", "\\r", "\\u0000", "\\u001F", "\\\\", '\\"', "\\/"):
        assert accepts(vocab_model, gbnf, '{"s": "a' + escaped + 'b"}'), escaped
    assert accepts(vocab_model, gbnf, json.dumps({"s": "line1\nline2\ttab\x01"}))


def test_top_level_non_object_schemas(vocab_model):
    for schema, good, bad in [
        ({"type": "string"}, '"hello"', "hello"),
        ({"type": "integer"}, "-42", "4.2"),
        ({"type": "boolean"}, "false", "no"),
        ({"type": "array", "items": {"type": "integer"}, "maxItems": 2}, "[1, 2]", "[1, 2, 3]"),
        ({"type": "array", "items": {"type": "integer"}, "maxItems": 0}, "[]", "[1]"),
        ({"enum": ["a", 'b"q']}, '"b\\"q"', '"c"'),
    ]:
        gbnf = schema_to_gbnf(schema)
        assert parses(vocab_model, gbnf), schema
        assert accepts(vocab_model, gbnf, good), (schema, good)
        assert not accepts(vocab_model, gbnf, bad), (schema, bad)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"x": {"anyOf": [{"type": "string"}, {"type": "null"}]}}},
        {"type": "object", "properties": {"x": {"type": ["string", "null"]}}},
        {"type": "object", "properties": {"x": {}}},
        {"type": "null"},
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    ],
)
def test_unsupported_nodes_raise_value_error(schema):
    with pytest.raises(ValueError, match="unsupported"):
        schema_to_gbnf(schema)


def test_optional_pydantic_field_is_unsupported():
    class WithOptional(BaseModel):
        x: str | None = None

    with pytest.raises(ValueError):
        schema_to_gbnf(WithOptional.model_json_schema())


@pytest.mark.parametrize("field", [Field(ge=1), Field(ge=0, le=1000)], ids=["ge1", "ge0-le1000"])
def test_integer_bounds_are_enforced_for_any_range(vocab_model, field):
    model = type("Bounded", (BaseModel,), {"__annotations__": {"n": int}, "n": field})
    gbnf = schema_to_gbnf(model.model_json_schema())
    for text in ('{"n": -5}', '{"n": 5000}'):
        try:
            model.model_validate_json(text)
        except ValidationError:
            assert not accepts(vocab_model, gbnf, text), text


def test_string_pattern_is_not_silently_ignored():
    class Code(BaseModel):
        code: str = Field(pattern=r"^[A-Z]{3}$")

    with pytest.raises(ValueError):
        schema_to_gbnf(Code.model_json_schema())


class Node(BaseModel):
    label: str
    children: list[Node] = Field(max_length=2)


def test_recursive_schema_gives_grammar_or_value_error():
    try:
        gbnf = schema_to_gbnf(Node.model_json_schema())
    except ValueError:
        return
    assert "root ::=" in gbnf
