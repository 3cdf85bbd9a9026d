"""Tests for synthgen.text.gates: length, refusal and repetition gates with prefixed reasons."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from synthgen.text.gates import GateLimits, check_text, has_repeated_line, repetition_share

LIMITS = GateLimits()

NORMAL_PARAGRAPHS = [
    "Photosynthesis is the process by which green plants turn light into chemical energy. "
    "Chlorophyll in the chloroplasts absorbs mostly red and blue light, and the energy drives the "
    "splitting of water, which releases oxygen as a by-product.",
    "Write a short story about a lighthouse keeper who discovers that the fog horn has started "
    "answering ships on its own. Keep it under 300 words and end with a twist.",
    "To reverse a list in Python you can use slicing, my_list[::-1], which returns a new list, or "
    "call my_list.reverse(), which reverses it in place and returns None.\n\n"
    "Choose slicing when you need to keep the original order around.",
    "Sorry to bother you, but could you explain how compound interest works with an example?",
    "1. Preheat the oven to 180 C.\n2. Mix flour, sugar and eggs.\n3. Bake for 25 minutes.\n"
    "4. Let the cake cool before slicing.",
]


@pytest.mark.parametrize("text", NORMAL_PARAGRAPHS)
@pytest.mark.parametrize("prefix", ["instruction", "response"])
def test_normal_paragraphs_pass(text, prefix):
    assert check_text(text, LIMITS, prefix) is None


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_empty(text):
    assert check_text(text, LIMITS, "instruction") == "instruction_empty"


def test_too_short_counts_stripped_length():
    limits = GateLimits(min_chars=10)
    assert check_text("Hi there", limits, "instruction") == "instruction_too_short"
    # surrounding whitespace does not make a short text long enough
    assert check_text("   Hi there   \n\n", limits, "instruction") == "instruction_too_short"
    assert check_text("x" * 9, limits, "response") == "response_too_short"
    assert check_text("Name a fruit", limits, "response") is None  # 12 chars


def test_too_long():
    limits = GateLimits(max_chars=100)
    text = "The history of the printing press is long and fascinating for many reasons. " * 2
    assert len(text.strip()) > 100
    assert check_text(text, limits, "response") == "response_too_long"


def test_length_boundaries_are_inclusive():
    limits = GateLimits(min_chars=5, max_chars=20)
    assert check_text("abcd", limits, "p") == "p_too_short"
    assert check_text("abcde", limits, "p") is None
    assert check_text("a" * 20, limits, "p") is None
    assert check_text("a" * 21, limits, "p") == "p_too_long"


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't help with that.",
        "I am sorry, but I cannot provide that information.",
        "As an AI language model, I do not have personal opinions about politics.",
        "As a language model I cannot browse the internet.",
        "I cannot help with that request because it may be harmful.",
        "I can't assist with creating malware.",
        "I apologize, but that is not something I can do.",
        "Sorry, but I won't write that essay for you.",
        "I don't have access to real-time data such as today's weather.",
        "  I'M SORRY, BUT I CAN'T HELP WITH THAT.",
    ],
)
@pytest.mark.parametrize("prefix", ["instruction", "response"])
def test_refusals_are_rejected(text, prefix):
    assert check_text(text, LIMITS, prefix) == f"{prefix}_refusal"


def test_refusal_only_at_start():
    # quoting a refusal inside a real answer is not a refusal
    text = (
        "A polite way to decline is to say: I'm sorry, but I can't help with that. "
        "Then suggest where the person could find help instead."
    )
    assert check_text(text, LIMITS, "response") is None


def test_refusal_with_typographic_apostrophe_is_rejected():
    assert check_text("I\u2019m sorry, but I can\u2019t help with that.", LIMITS, "response") == ("response_refusal")


def test_looping_sentence_is_repetition():
    text = "The cat sat on the mat and looked at the door. " * 8
    assert repetition_share(text) > LIMITS.max_repeated_ngram_share
    assert check_text(text, LIMITS, "response") == "response_repetition"


def test_repeated_line_is_repetition_even_when_ngram_share_is_low():
    body = (
        "Paris is the capital of France and sits on the river Seine in the north of the country. "
        "It is known for its museums, including the Louvre, which houses the Mona Lisa, and for its "
        "cafes, bakeries, bridges and wide boulevards designed in the nineteenth century by Haussmann."
    )
    text = body + "\nLet me know if this helps.\nLet me know if this helps.\nLet me know if this helps."
    assert repetition_share(text) <= LIMITS.max_repeated_ngram_share  # so the line check decides
    assert has_repeated_line(text)
    assert check_text(text, LIMITS, "response") == "response_repetition"


def test_repetition_share_properties():
    fresh = " ".join(f"word{i}" for i in range(50))
    assert repetition_share(fresh) == 0.0
    loop = "one two three four five " * 20
    assert repetition_share(loop) > 0.8
    # fewer than 8 n-grams: too short to judge
    assert repetition_share("a b a b a b a b") == 0.0
    # case-insensitive
    assert repetition_share("Go Left Now Please " * 5) == repetition_share("go left now please " * 5)


def test_has_repeated_line_thresholds():
    line = "This line is long enough."
    assert not has_repeated_line(f"{line}\n{line}")  # twice is fine
    assert has_repeated_line(f"{line}\n{line}\n{line}")
    assert has_repeated_line(f"  {line}\n{line.upper()}\n{line}  ")  # strip + case-insensitive
    assert not has_repeated_line("ok\nok\nok\nok")  # trivial short lines (bullets, "ok") ignored
    assert has_repeated_line(f"{line}\n{line}", times=2)


def test_custom_repetition_threshold():
    text = "alpha beta gamma delta epsilon zeta eta theta " * 2 + "iota kappa lambda mu nu xi omicron pi"
    share = repetition_share(text)
    assert 0 < share < 1
    assert check_text(text, GateLimits(max_repeated_ngram_share=share / 2), "r") == "r_repetition"
    assert check_text(text, GateLimits(max_repeated_ngram_share=min(1.0, share + 0.01)), "r") is None


@pytest.mark.parametrize(
    "kwargs",
    [{"min_chars": -1}, {"max_chars": 0}, {"max_repeated_ngram_share": 0}, {"max_repeated_ngram_share": 1.5}],
)
def test_gate_limits_validation(kwargs):
    with pytest.raises(ValidationError):
        GateLimits(**kwargs)
