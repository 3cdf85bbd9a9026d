"""Tests for synthgen.text.prompts: default templates, per-file overrides, rendering and fingerprints."""

from __future__ import annotations

import pytest

from synthgen.errors import SynthgenError
from synthgen.text.prompts import PromptSet, default_prompts_dir

SELF_INSTRUCT_VALUES = {
    "topic": "volcanology",
    "task_description": "an open question",
    "input_rule": "The input must be empty.",
    "example_instruction": '"Explain tides."',
    "example_input": '""',
}
OTHER = "self_instruct_input_rule.txt"


def test_default_dir_has_the_templates():
    folder = default_prompts_dir()
    assert (folder / "self_instruct.txt").is_file()
    prompts = PromptSet()
    assert prompts.default_dir == folder
    assert prompts.text("self_instruct.txt") == (folder / "self_instruct.txt").read_text(encoding="utf-8")


def test_default_self_instruct_renders_completely():
    text = PromptSet().render("self_instruct.txt", **SELF_INSTRUCT_VALUES)
    assert "volcanology" in text
    assert "an open question" in text
    assert "${" not in text
    assert text == text.strip()


def test_override_replaces_one_file_and_others_fall_back(tmp_path):
    (tmp_path / "self_instruct.txt").write_text("Custom task about ${topic}.\n", encoding="utf-8")
    default, custom = PromptSet(), PromptSet(tmp_path)
    assert custom.text("self_instruct.txt") == "Custom task about ${topic}.\n"
    assert custom.text("self_instruct.txt") != default.text("self_instruct.txt")
    assert custom.text(OTHER) == default.text(OTHER)
    assert custom.render("self_instruct.txt", topic="bees") == "Custom task about bees."


def test_render_substitutes_and_strips(tmp_path):
    (tmp_path / "t.txt").write_text("\n  Tell me about ${a} and $b, costs $$5.  \n\n", encoding="utf-8")
    assert PromptSet(tmp_path).render("t.txt", a="owls", b="cats") == "Tell me about owls and cats, costs $5."


def test_render_does_not_reinterpret_values(tmp_path):
    (tmp_path / "t.txt").write_text("Q: ${q}", encoding="utf-8")
    assert PromptSet(tmp_path).render("t.txt", q="what is ${x}?") == "Q: what is ${x}?"


@pytest.mark.parametrize(
    "template",
    ["Hello ${unknown_name}", "Topic ${topic} and ${typo_here}", "Price: $5 for ${topic}", "Broken ${topic"],
)
def test_bad_placeholder_is_a_one_line_error(tmp_path, template):
    (tmp_path / "self_instruct.txt").write_text(template, encoding="utf-8")
    with pytest.raises(SynthgenError) as exc:
        PromptSet(tmp_path).render("self_instruct.txt", topic="x")
    message = str(exc.value)
    assert "self_instruct.txt" in message
    assert "\n" not in message


def test_missing_template_is_an_error(tmp_path):
    with pytest.raises(SynthgenError, match="no_such_template.txt"):
        PromptSet(tmp_path).text("no_such_template.txt")


def test_non_utf8_override_is_an_error(tmp_path):
    (tmp_path / "self_instruct.txt").write_bytes(b"caf\xe9 ${topic}")
    with pytest.raises(SynthgenError, match="UTF-8"):
        PromptSet(tmp_path).text("self_instruct.txt")


def test_override_dir_must_be_a_directory(tmp_path):
    not_dir = tmp_path / "file.txt"
    not_dir.write_text("x")
    for bad in (not_dir, tmp_path / "missing"):
        with pytest.raises(SynthgenError) as exc:
            PromptSet(bad)
        assert str(bad) in str(exc.value)


def test_override_dir_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "self_instruct.txt").write_text("home ${topic}", encoding="utf-8")
    assert PromptSet("~/p").render("self_instruct.txt", topic="t") == "home t"


def test_fingerprint(tmp_path):
    names = ["self_instruct.txt", OTHER]
    base = PromptSet().fingerprint(names)
    assert base == PromptSet().fingerprint(list(reversed(names)))  # order of names does not matter
    assert len(base) == 16 and int(base, 16) >= 0
    # an override dir that changes nothing in use keeps the fingerprint
    (tmp_path / "unused.txt").write_text("not in use", encoding="utf-8")
    assert PromptSet(tmp_path).fingerprint(names) == base
    # an override with identical content keeps it too (content, not location, is hashed)
    (tmp_path / OTHER).write_text(PromptSet().text(OTHER), encoding="utf-8")
    assert PromptSet(tmp_path).fingerprint(names) == base
    # changing a template in use changes it
    (tmp_path / "self_instruct.txt").write_text("Another prompt about ${topic}", encoding="utf-8")
    changed = PromptSet(tmp_path).fingerprint(names)
    assert changed != base
    (tmp_path / "self_instruct.txt").write_text("Another prompt about ${topic}!", encoding="utf-8")
    assert PromptSet(tmp_path).fingerprint(names) not in (base, changed)
    # the set of templates in use matters
    assert PromptSet().fingerprint(["self_instruct.txt"]) != base
