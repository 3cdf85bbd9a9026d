"""Inline quality gates: cheap checks that reject a text before it becomes a row.

Each gate returns a short reason string (used as a counter key in the manifest and summary) or
None. They are deliberately conservative: a false rejection only costs a top-up attempt, while a
refusal or a looping answer that slips through teaches the trained model to refuse or loop.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

_REFUSAL = re.compile(
    r"^\s*(i'?m sorry|i am sorry|sorry, (but )?i|i apologi[sz]e|as an ai\b|as a language model|"
    r"i (cannot|can'?t|am unable to|am not able to|won'?t) (help|assist|provide|answer|fulfil|comply|do that)|"
    r"i do not have (access|the ability)|i don'?t have (access|the ability))",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)


class GateLimits(BaseModel):
    """Length bounds in characters, and the repetition threshold."""

    min_chars: int = Field(10, ge=0)
    max_chars: int = Field(4000, ge=1)
    max_repeated_ngram_share: float = Field(
        0.3, gt=0, le=1, description="share of word 4-grams that may be repeats before rejection"
    )


def repetition_share(text: str, n: int = 4) -> float:
    """Share of word n-grams that repeat an earlier n-gram: 0 for fresh text, near 1 for loops."""
    words = [w.lower() for w in _WORD.findall(text)]
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if len(grams) < 8:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def has_repeated_line(text: str, times: int = 3) -> bool:
    """True if one non-trivial line occurs `times` or more: a common small-model loop."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        key = line.strip().lower()
        if len(key) >= 12:
            counts[key] = counts.get(key, 0) + 1
            if counts[key] >= times:
                return True
    return False


def repeats_a_complete_line(partial: str) -> bool:
    """`has_repeated_line` on a text that is still growing: its last, unfinished line is left out,
    so a partial answer is rejected exactly when the final gate would reject it at any length."""
    return "\n" in partial and has_repeated_line(partial[: partial.rindex("\n")])


def is_refusal(text: str) -> bool:
    """True if `text` opens with a refusal; decidable from its first few words, so a partial answer
    that starts this way is rejected already."""
    return bool(_REFUSAL.search(text.strip().replace("\u2019", "'")))  # typographic apostrophes too


def check_text(text: str, limits: GateLimits, prefix: str) -> str | None:
    """Return the rejection reason for `text` (e.g. "instruction_too_short") or None if it passes."""
    stripped = text.strip()
    if not stripped:
        return f"{prefix}_empty"
    if len(stripped) < limits.min_chars:
        return f"{prefix}_too_short"
    if len(stripped) > limits.max_chars:
        return f"{prefix}_too_long"
    if is_refusal(stripped):
        return f"{prefix}_refusal"
    if repetition_share(stripped) > limits.max_repeated_ngram_share or has_repeated_line(stripped):
        return f"{prefix}_repetition"
    return None


# ---- defects a reader sees at a glance: checked after check_text --------------------------------
# A small model writing a self-instruct task sometimes copies the machinery around it instead of
# writing a task: template syntax, fill-in-the-blank placeholders, or the template's own rules
# about the JSON reply (prompts/self_instruct*.txt). And an answer may only offer help or ask for
# the input instead of answering. Each pattern names what a user's request has no business
# containing; a task that merely mentions JSON ("Convert this CSV to JSON") matches none of them.

_FIELD = r"(?:instruction|input|output|topic|task|text|passage|question|answer|response|request|prompt)"
_RESIDUE = re.compile(
    rf"\{{\{{\s*(?:\d*|{_FIELD})\s*\}}\}}|\{{\{{\w{{1,30}}\}}\}}"  # {{input}}, {{}}, {{0}}, {{title}}
    r"|\{%"  # {% include %}: template tags
    r"|\$\{\w{0,40}\}"  # ${topic}: the string.Template syntax of prompts/
    r"|[\"']instruction[\"']\s*:"  # the JSON reply written into its own field
    r"|\A\s*(?:\{\{|\}\})"  # a template brace opening the text
    r"|[{\[]\s*<[^<>\n]{1,30}>\s*[}\]]",  # {<text>}: a placeholder inside template braces
    re.IGNORECASE,
)
# [industry], [Your Name], [insert topic here], <placeholder>, <your name>: blanks left for a user
# to fill. Not list literals ([1, 2]), indexing (a[i]), markdown links ([text](url)), checkboxes
# ([x]) or HTML tags (<div>): the bracket holds three or more letters, opens a word, is no link.
_PLACEHOLDER = re.compile(
    r"(?<![\w\]\[])\[[A-Za-z][A-Za-z_' /-]{2,40}\](?!\()"
    r"|[\[<{]\s*(?:your|insert|enter)\b"  # [Your Input], <Your instructions here, {Your text}
    r"|<\s*(?:placeholder|insert[^<>\n]{0,30}|your[^<>\n]{0,30}|[a-z]+(?:[ _][a-z]+){1,4})\s*>",
    re.IGNORECASE,
)
_NOT_PLACEHOLDERS = {"sic", "citation needed", "chorus", "verse", "bridge", "intro", "outro", "pre-chorus", "hook"}
# The self-instruct templates' own rules, and talk about the reply format they ask for: JSON
# fields named "instruction"/"input", empty strings, "the instruction is/must ...".
_FORMAT_TALK = re.compile(
    r"\bfields?\s+[\"'](?:instruction|input)[\"']|[\"'](?:instruction|input)[\"']\s+(?:field|key)s?\b"
    r"|\binstruction (?:field|key)s?\b"
    r"|\b(?:answer|response|reply)s?\b[^.\n]{0,30}\bempty strings?\b|\bmust be an empty string\b"
    r"|\binput field\b[^.\n]{0,40}\bempty string|\bmust stand on its own\b|\bsentences written by (?:you|me)\b"
    r"|\ba user might send\b|\ba request (?:that a user might send )?to an AI assistant\b"
    r"|\b(?:the|this|in) output format (?:is|must|should|will|you)\b|\bthe output format of the (?:reply|answer)\b"
    r"|(?:^|[.!?:*]\s+)(?:the|this|your) (?:instructions?|request) (?:is|are|must|should|will)\b"
    # "the instruction" as a thing (a user says what they want, not "the instruction"); not the
    # CPU's instruction pointer, set, register ...
    r"|\b(?:this|the|following|my|your) instruction\b(?! (?:pointer|sets?|cache|register|decoder|cycle|fetch|queue))"
    r"|\bAI assistant(?:'s)? request\b|\brequest (?:from|for) (?:the|an|your) AI assistant\b"
    r"|\brequest (?:that was |which was )?sent to (?:me|you)\b|\brequested request\b"
    r"|\bplaceholders? for the input\b",
    re.IGNORECASE | re.MULTILINE,
)


def has_template_residue(text: str) -> bool:
    """True if `text` carries template syntax or the JSON reply's own key (`{{input}}`, `${topic}`,
    `"instruction":`), or unbalanced curly braces: a stray brace of the JSON it was cut from."""
    return bool(_RESIDUE.search(text)) or text.count("{") != text.count("}")


def placeholders(text: str) -> list[str]:
    """The fill-in-the-blank placeholders in `text` ("[industry]", "<your name>"), in order."""
    found = [m.group(0) for m in _PLACEHOLDER.finditer(text)]
    return [p for p in found if p.strip("[]<> ").lower() not in _NOT_PLACEHOLDERS]


def talks_about_format(text: str) -> bool:
    """True if `text` talks about the reply format synthgen's template asked for (JSON fields,
    "the instruction must ...", empty strings) instead of being a task."""
    return bool(_FORMAT_TALK.search(text))


def instruction_defect(text: str) -> str | None:
    """The defect of a user turn: "instruction_template_residue", "instruction_placeholder",
    "instruction_format_talk", or None."""
    if has_template_residue(text):
        return "instruction_template_residue"
    if placeholders(text):
        return "instruction_placeholder"
    if talks_about_format(text):
        return "instruction_format_talk"
    return None


# A non-answer is made of sentences that ask for the input or offer help, and nothing else but
# pleasantries. An answer that merely opens ("Sure, I'd be happy to help!") or closes ("Let me know
# if ...") with one has other sentences, so it passes.
_ASK = (
    r"(?:how|what) (?:can|may|could|shall) i (?:help|assist|do for)"
    r"|what (?:would you like|do you want|do you need|is the (?:text|passage|input))"
    r"|what(?:'?s| is) (?:your (?:request|question|task)|on your mind)"
    r"|(?:i'?m|i am) (?:here|ready|standing by)(?: and ready)?(?: to (?:help|assist)| for| when)"
    r"|(?:please|kindly|could you|can you|would you)[, ]+(?:please )?(?:provide|share|send|paste|give|tell|specify"
    r"|clarify|enter|include|let me know)(?: me)?(?: with)? (?:the|your|a|an|some|more|any|me|additional|further"
    r"|specific|which|what)\b[^.?!]{0,60}?\b(?:text|passage|details?|information|context|input|content|question"
    r"|topic|data|article|sentence|paragraph|document|message|code|style|tone|specifics|request)s?\b"
    r"|(?:to (?:help|assist) you(?: better)?, )?i(?:'ll| will| would)? need (?:more|some|the|a|to know)"
)
_SUPPORT = (
    r"(?:i'?m|i am|i'?d|i would|i'?ll|i will)(?: be)? (?:more than |very |so )?(?:happy|glad|delighted|pleased"
    r"|able|willing|here)(?: to)? (?:help|assist)|i can (?:help|assist)|let me know|feel free|go ahead|thanks?\b"
    r"|thank you"
)
_OPENER = r"(?:(?:sure|certainly|of course|absolutely|okay|ok|great|yes|hello|hi|hey|now)\b[\s!,.]*)*"
_ASK_SENTENCE = re.compile(rf"^{_OPENER}(?:{_ASK})", re.IGNORECASE)
_SUPPORT_SENTENCE = re.compile(rf"^{_OPENER}(?:{_SUPPORT})|^{_OPENER}$", re.IGNORECASE)
_PERSONA = re.compile(r"^(?:I'm|I am|My name is) [A-Z][a-z]+\b")  # "I am Ember, a skilled guide."
_SENTENCE = re.compile(r"(?<=[.!?:])\s+|\n+")


def is_non_answer(text: str) -> bool:
    """True if the answer only asks for the input or offers help ("I'm ready to assist you. What can
    I help you with today?", "Sure! Please provide the text."): at least one sentence asks, and
    every other one is an offer or a pleasantry."""
    sentences = [s.strip(" *-\"'") for s in _SENTENCE.split(text.strip().replace("\u2019", "'"))]
    sentences = [s for s in sentences if s]
    asks = [bool(_ASK_SENTENCE.search(s)) for s in sentences]
    others = [s for a, s in zip(asks, sentences, strict=True) if not a]
    return any(asks) and all(_SUPPORT_SENTENCE.search(s) or _PERSONA.search(s) for s in others)


def response_defect(text: str) -> str | None:
    """The defect of an answer: "response_non_answer", or None."""
    return "response_non_answer" if is_non_answer(text) else None


def check_defects(instruction: str | None, response: str | None = None) -> str | None:
    """The first defect of a row, the instruction's before the response's, or None; either may be
    None. The SFT loop applies the two halves as each text arrives; DPO can do the same."""
    if instruction is not None and (reason := instruction_defect(instruction)):
        return reason
    return response_defect(response) if response is not None else None
