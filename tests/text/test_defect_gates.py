"""The defect gates of synthgen.text.gates: template residue, placeholders, format talk and
non-answers, on rows seen in real runs of the embedded model and on legitimate look-alikes."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthgen.text.gates import (
    check_defects,
    has_template_residue,
    instruction_defect,
    is_non_answer,
    placeholders,
    response_defect,
    talks_about_format,
)

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"

RESIDUE = [
    "{{input}}* The instruction is to summarise the passage about tides.",
    "{{}} * How to prepare for a mental health screening*",
    "Extracting a recipe from the text.\n\n{\n1.25 cups {breadcrumb crumble} {{0}}, water {salt}",
    "*Summarise the passage on personal finance.\n\n{1. Include the provided passage in a summary.",
    "Write a short poem about ${topic} in four lines.",
    '{"instruction": "Explain photosynthesis to a child", "input": ""}',
    "Summarise the given passage.\n\n{% include <script> %} *",
    "{{title}}, a summary of the passage, in two lines.",
    "{<text>} Rewrite the provided passage in a new style.",
]
PLACEHOLDER = [
    "Can you provide a detailed outline of the steps to prepare for a job interview in [industry]?",
    "Write a press release announcing [event] for our customers.",
    "Draft a thank-you letter to my landlord and sign it as [Your Name].",
    "Ensure you have the latest patch for [insert cybersecurity topic] available",
    "Describe the <placeholder> in three sentences.",
    "Write an email to <your manager> asking for two days of leave.",
    "Sow a seed of the [plant_name] in a small container.",
    "<Your instructions here, please.",
    "Rewrite this text in a friendly tone.\n\n{Your text goes here}",
]
FORMAT_TALK = [
    "Reply with JSON only, with the field 'instruction' set to a question about volcanoes.",
    "You must provide an answer with no empty strings, a simple answer that contains only one element.",
    'Fill in the "instruction" field with a question about rivers.',
    "Explain the water cycle.\n\nThe instructions are in the form of a piece of writing that requires editing.",
    "This is a request to summarise the given passage.\n\n2 to 5 sentences written by you",
    "Write one request that a user might send to an AI assistant about gardening.",
    "Send a request to an AI assistant with multiple creative ideas for cities.",
    "Please make sure you provide an input field that contains an empty string.",
    "Summarise the passage using only 2 to 5 sentences.\n\nHere is the instruction:",
    "This is your default response to an AI assistant request.",
    "Rewrite the text.\n\nThis is one request that was sent to me by a reader.",
]
NON_ANSWERS = [
    "I'm ready to assist you. What can I help you with today?",
    "Sure! Please provide the text you would like me to summarise.",
    "How can I help you today?",
    "I'd be happy to help you improve your writing. Please provide the passage or text that needs editing.",
    "Of course. Could you share more details about the topic you have in mind?",
    "Hello! I'm here to help. What would you like to know?",
    "To help you better, I need more information about your situation. Let me know!",
    "I'm ready to help. What's your request?",
    "I can assist with any kind of guidance you need. Now, what's on your mind?",
    "I am Ember, a brave and skilled warrior. I'm here to help with your daily tasks. What can I assist you with?",
]
LEGIT_INSTRUCTIONS = [
    "Convert this CSV to JSON:\n\nname,age\nAlice,30\nBob,25",
    "Write a Python function that parses a JSON object and returns the value of its 'name' field.",
    "Write a Python function that removes empty strings from a list.",
    "Explain how arrays are indexed, for example arr[i] and matrix[row][col].",
    "Sort the list [3, 1, 2] in ascending order and explain each step.",
    "Rewrite this sentence: read the [manual](https://example.com) before you start.",
    "In markdown, how do I make a checkbox like - [x] done?",
    "What does the <div> tag do in HTML?",
    "Write song lyrics about the sea with a [Chorus] after each verse.",
    "Write a JavaScript function that returns {a: 1} when called with no arguments.",
    "Design an HTML form with an input field for the email address.",
    "Summarise the following passage in 2 to 5 sentences.\n\nThe council voted to expand bike lanes.",
    "What is the output format of the ls -l command?",
    "Explain the Jinja expression {{ user.name }} in a Flask template.",
    "Explain how gravity keeps the Moon in orbit (your answer should be short).",
    "Write an AI assistant's reply to a customer who asks about a late parcel.",
    "What does the instruction pointer register do in an x86 CPU?",
    "Translate the instructions on this medicine label into plain English.",
]
LEGIT_ANSWERS = [
    "Sure, I'd be happy to help! Photosynthesis turns light into chemical energy in the leaves.",
    "Paris.",
    "Please provide a refund for order 1234. Thank you.",
    "Feel free to contact us anytime!",
    "The capital of Australia is Canberra. Let me know if you want more facts about it.",
    "What can I help you with today? is a common greeting a shop assistant uses. It invites the customer "
    "to say what they need without pressure.",
    "I'm happy to help! Have a wonderful trip to Lisbon.",
    "I am Ember, a guide in the mountains. The best trail for beginners starts at the north lake.",
]


@pytest.mark.parametrize("text", RESIDUE)
def test_template_residue_is_caught(text):
    assert has_template_residue(text)
    assert instruction_defect(text) == "instruction_template_residue"


@pytest.mark.parametrize("text", PLACEHOLDER)
def test_placeholders_are_caught(text):
    assert placeholders(text)
    assert instruction_defect(text) == "instruction_placeholder"


def test_placeholders_lists_each_blank_and_skips_known_tags():
    text = "Invite [guest name] to [event] on <date of event>; mark [sic] and [Chorus] as written."
    assert placeholders(text) == ["[guest name]", "[event]", "<date of event>"]


@pytest.mark.parametrize("text", FORMAT_TALK)
def test_format_talk_is_caught(text):
    assert talks_about_format(text)
    assert instruction_defect(text) == "instruction_format_talk"


@pytest.mark.parametrize("text", NON_ANSWERS)
def test_non_answers_are_caught(text):
    assert is_non_answer(text)
    assert response_defect(text) == "response_non_answer"


@pytest.mark.parametrize("text", LEGIT_INSTRUCTIONS)
def test_legitimate_instructions_pass(text):
    assert instruction_defect(text) is None


@pytest.mark.parametrize("text", LEGIT_ANSWERS)
def test_real_answers_pass(text):
    assert response_defect(text) is None


def _template_lines() -> list[str]:
    """Every line of the default self-instruct templates, placeholders filled as a run fills them."""
    values = {"${topic}": "gardening", "${task_description}": "a factual question", "${input_rule}": ""}
    lines = []
    for path in sorted(PROMPTS.glob("self_instruct*.txt")):
        for line in path.read_text().splitlines():
            for key, value in values.items():
                line = line.replace(key, value)
            if line.strip():
                lines.append(line.strip())
    return lines


def test_every_self_instruct_template_line_echoed_as_an_instruction_is_caught():
    lines = _template_lines()
    assert len(lines) >= 4
    assert [line for line in lines if instruction_defect(line) is None] == []


def test_check_defects_takes_the_instruction_first_and_either_half_alone():
    bad_instruction, bad_answer = PLACEHOLDER[0], NON_ANSWERS[0]
    assert check_defects(bad_instruction, bad_answer) == "instruction_placeholder"
    assert check_defects(LEGIT_INSTRUCTIONS[0], bad_answer) == "response_non_answer"
    assert check_defects(None, bad_answer) == "response_non_answer"
    assert check_defects(bad_instruction) == "instruction_placeholder"
    assert check_defects(LEGIT_INSTRUCTIONS[0], LEGIT_ANSWERS[0]) is None
