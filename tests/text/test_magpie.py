"""Tests for synthgen.text.magpie: the pre-query prefix cut from a model's own chat template."""

from __future__ import annotations

import llama_cpp
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from llama_cpp._internals import LlamaModel

from synthgen.backends.base import ModelInfo
from synthgen.backends.fake import FakeBackend
from synthgen.backends.model_file import embedded_model_path
from synthgen.errors import SynthgenError
from synthgen.text.magpie import PreQuery, clean_user_turn, pre_query

SMOLLM_DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM"

LLAMA3_TEMPLATE = (
    "{{- bos_token }}"
    "{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
    " + '<|eot_id|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)


@pytest.fixture(scope="module")
def smollm2():
    """The embedded model's real metadata, read vocab-only: (ModelInfo, add_bos_token)."""
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = LlamaModel(path_model=str(embedded_model_path()), params=params, verbose=False)
    try:
        # the same facts the llama.cpp backend reports in model_info()
        info = ModelInfo(
            name="SmolLM2-135M-Instruct.Q4_1.gguf",
            chat_template=model.metadata()["tokenizer.chat_template"],
            bos_token=model.detokenize([model.token_bos()], special=True).decode(),
            eos_token=model.detokenize([model.token_eos()], special=True).decode(),
        )
        yield info, model.add_bos_token()
    finally:
        model.close()


def _render(info: ModelInfo, messages: list[dict]) -> str:
    """The template's own rendering of a conversation (the ground truth a prefix must match)."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(info.chat_template).render(
        messages=messages, add_generation_prompt=False, bos_token=info.bos_token, eos_token=info.eos_token
    )


def _info(template: str | None, **kw) -> ModelInfo:
    return ModelInfo(name="m", chat_template=template, **kw)


# --- ChatML (the fake backend's template) -------------------------------------------------------


def test_chatml_prefix_and_end_of_turn():
    info = FakeBackend().model_info()
    pre = pre_query(info)
    assert isinstance(pre, PreQuery)
    assert pre.prefix.endswith("<|im_start|>user\n")
    assert pre.end_of_turn == "<|im_end|>"
    assert "system" not in pre.prefix
    # the prefix is exactly what the template puts before a user message's content
    full = _render(info, [{"role": "user", "content": "Hello there"}])
    assert full.startswith(pre.prefix)
    assert full[len(pre.prefix) :].startswith("Hello there" + pre.end_of_turn)


def test_chatml_system_prompt_is_in_the_prefix():
    info = FakeBackend().model_info()
    pre = pre_query(info, system_prompt="Be terse and kind.")
    assert pre.prefix.startswith("<|im_start|>system\nBe terse and kind.<|im_end|>")
    assert pre.prefix.endswith("<|im_start|>user\n")
    assert pre.end_of_turn == "<|im_end|>"
    full = _render(
        info,
        [{"role": "system", "content": "Be terse and kind."}, {"role": "user", "content": "Hi"}],
    )
    assert full.startswith(pre.prefix)


def test_empty_system_prompt_is_no_system_turn():
    info = FakeBackend().model_info()
    assert pre_query(info, system_prompt="") == pre_query(info)


# --- SmolLM2's real template -------------------------------------------------------------------


def test_smollm2_prefix_and_end_of_turn(smollm2):
    info, _ = smollm2
    pre = pre_query(info)
    assert pre.prefix.endswith("<|im_start|>user\n")
    assert pre.end_of_turn == "<|im_end|>"
    # with no system prompt the template injects its default one
    assert SMOLLM_DEFAULT_SYSTEM in pre.prefix


def test_smollm2_system_prompt_replaces_the_default(smollm2):
    info, _ = smollm2
    pre = pre_query(info, system_prompt="You write questions about chemistry.")
    assert "You write questions about chemistry.<|im_end|>" in pre.prefix
    assert SMOLLM_DEFAULT_SYSTEM not in pre.prefix
    assert pre.prefix.endswith("<|im_start|>user\n")
    assert pre.end_of_turn == "<|im_end|>"


def test_smollm2_facts_behind_the_bos_question(smollm2):
    """SmolLM2's BOS token is the text <|im_start|>, and its tokenizer does not add BOS."""
    info, add_bos = smollm2
    assert info.bos_token == "<|im_start|>"
    assert "bos_token" not in info.chat_template  # the template never emits BOS itself
    assert add_bos is False


@pytest.mark.parametrize("system_prompt", [None, "You write questions about chemistry."])
def test_smollm2_prefix_is_the_templates_own_rendering(smollm2, system_prompt):
    info, _ = smollm2
    pre = pre_query(info, system_prompt=system_prompt)
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    full = _render(info, messages + [{"role": "user", "content": "Hello"}])
    assert pre.prefix.startswith("<|im_start|>system\n")
    assert full.startswith(pre.prefix)


# --- other templates ---------------------------------------------------------------------------


@pytest.mark.parametrize("template", [None, ""])
def test_no_chat_template_raises(template):
    with pytest.raises(SynthgenError, match="no chat template"):
        pre_query(_info(template, eos_token="</s>"))


def test_bos_is_kept_when_the_tokenizer_does_not_add_it():
    info = _info(LLAMA3_TEMPLATE, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>", add_bos_token=False)
    assert pre_query(info).prefix.startswith("<|begin_of_text|><|start_header_id|>")


def test_llama3_style_bos_is_stripped():
    info = _info(LLAMA3_TEMPLATE, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>", add_bos_token=True)
    pre = pre_query(info, system_prompt="You are a curious student.")
    assert "<|begin_of_text|>" not in pre.prefix
    assert pre.prefix.startswith("<|start_header_id|>system<|end_header_id|>\n\nYou are a curious student.")
    assert pre.prefix.endswith("<|start_header_id|>user<|end_header_id|>\n\n")
    assert pre.end_of_turn == "<|eot_id|>"
    # apart from BOS, the prefix is the template's own rendering
    full = _render(info, [{"role": "user", "content": "Hi"}])
    assert full.startswith("<|begin_of_text|>")
    assert full[len("<|begin_of_text|>") :].startswith(pre_query(info).prefix)


def test_suffix_without_marker_falls_back_to_eos():
    info = _info("{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}{% endfor %}", eos_token="</s>")
    pre = pre_query(info)
    assert pre.prefix == "[user] "
    assert pre.end_of_turn == "</s>"


def test_template_raise_exception_becomes_synthgen_error():
    template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}"
        "{{ raise_exception('System role not supported') }}{% endif %}"
        "<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}<end_of_turn>\n{% endfor %}"
    )
    info = _info(template, eos_token="<eos>")
    assert pre_query(info).end_of_turn == "<end_of_turn>"
    with pytest.raises(SynthgenError, match="System role not supported"):
        pre_query(info, system_prompt="be nice")


@pytest.mark.parametrize(
    "template",
    [
        "{% for m in messages %}{{ m['content'] }}",  # syntax error: unclosed for
        "{{ messages[0]['content'].nonexistent_method() }}",
    ],
)
def test_broken_template_becomes_synthgen_error(template):
    with pytest.raises(SynthgenError):
        pre_query(_info(template))


@pytest.mark.parametrize(
    "template",
    [
        "static text that ignores the messages",
        "{% for m in messages %}{{ m['content'] }}|{{ m['content'] }}{% endfor %}",
    ],
)
def test_template_must_place_user_message_once(template):
    with pytest.raises(SynthgenError, match="once"):
        pre_query(_info(template))


@pytest.mark.parametrize(
    "template",
    [
        None,
        "{% for m in messages %}{{ m['content'] }}",
        "line one\n{% if %}",
        "{{ raise_exception('Conversation roles must alternate user/assistant') }}",
        "nothing",
    ],
)
def test_errors_are_one_line_and_name_the_model(template):
    with pytest.raises(SynthgenError) as exc:
        pre_query(ModelInfo(name="my-model.gguf", chat_template=template))
    assert "my-model.gguf" in str(exc.value)
    assert "\n" not in str(exc.value)
    assert exc.value.exit_code == 2


# --- clean_user_turn -----------------------------------------------------------------------------


def test_clean_user_turn_cuts_at_end_of_turn_and_strips():
    text = "  How do volcanoes form?\n<|im_end|>\n<|im_start|>assistant\nThey form when..."
    assert clean_user_turn(text, "<|im_end|>") == "How do volcanoes form?"


def test_clean_user_turn_without_marker_only_strips():
    assert clean_user_turn("\n Explain tides. \n", "<|im_end|>") == "Explain tides."
    assert clean_user_turn("  a <|im_end|> b ", "") == "a <|im_end|> b"


def test_clean_user_turn_cuts_at_first_marker():
    assert clean_user_turn("one<|eot_id|>two<|eot_id|>", "<|eot_id|>") == "one"
