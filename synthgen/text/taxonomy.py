"""The built-in seed taxonomy for self-instruct: topics x task types.

Crossing a broad topic list with task types is what gives self-instruct coverage that Magpie
alone lacks: a small model left to itself asks about the same few things. Each task type carries
a one-shot example because a 135M model follows a shown example far better than a description.
"""

from __future__ import annotations

from pydantic import BaseModel


class TaskType(BaseModel):
    """A kind of request, how to describe it to the model, and whether it needs an input passage."""

    name: str
    description: str
    needs_input: bool
    example_instruction: str
    example_input: str = ""


TASK_TYPES: list[TaskType] = [
    TaskType(
        name="open_qa",
        description="a factual question with a short, clear answer",
        needs_input=False,
        example_instruction="What causes the seasons on Earth?",
    ),
    TaskType(
        name="explanation",
        description="a request to explain a concept in simple words",
        needs_input=False,
        example_instruction="Explain how a vaccine trains the immune system, in simple terms.",
    ),
    TaskType(
        name="how_to",
        description="a practical how-to question asking for steps",
        needs_input=False,
        example_instruction="How do I repot a houseplant without damaging its roots?",
    ),
    TaskType(
        name="summarization",
        description="a request to summarise the given passage",
        needs_input=True,
        example_instruction="Summarise the following passage in two sentences.",
        example_input="The city council voted on Tuesday to expand the bike lane network by 40 km. "
        "Supporters say it will cut traffic and pollution, while some shop owners worry about losing "
        "parking spaces. Construction starts in spring and should take two years.",
    ),
    TaskType(
        name="rewriting",
        description="a request to rewrite the given text in a different style or tone",
        needs_input=True,
        example_instruction="Rewrite this message so it sounds polite and professional.",
        example_input="Send me the report now, it's late again.",
    ),
    TaskType(
        name="classification",
        description="a request to classify the given text into one of named categories",
        needs_input=True,
        example_instruction="Classify the sentiment of this review as positive, negative or neutral.",
        example_input="The battery lasts all day, but the screen scratches far too easily.",
    ),
    TaskType(
        name="extraction",
        description="a request to extract specific facts from the given text",
        needs_input=True,
        example_instruction="List every date and the event that happened on it in this text.",
        example_input="The bridge opened on 3 May 1932. It was closed for repairs on 12 June 1987 "
        "and reopened on 1 September 1988.",
    ),
    TaskType(
        name="brainstorming",
        description="a request for several creative ideas",
        needs_input=False,
        example_instruction="Suggest five names for a small bakery that sells sourdough bread.",
    ),
    TaskType(
        name="code",
        description="a request for a short piece of code",
        needs_input=False,
        example_instruction="Write a Python function that returns the largest even number in a list.",
    ),
    TaskType(
        name="reasoning",
        description="a simple reasoning or word problem that needs a few steps",
        needs_input=False,
        example_instruction="A train leaves at 9:40 and the trip takes 2 hours 35 minutes. When does it arrive?",
    ),
]

TOPICS: list[str] = [
    "astronomy",
    "biology",
    "chemistry",
    "physics",
    "geology",
    "weather and climate",
    "world history",
    "ancient civilisations",
    "geography",
    "economics",
    "personal finance",
    "cooking",
    "nutrition",
    "fitness",
    "mental health",
    "medicine basics",
    "gardening",
    "pets",
    "travel",
    "languages",
    "literature",
    "poetry",
    "music",
    "film",
    "visual art",
    "architecture",
    "photography",
    "sports",
    "board games",
    "mathematics",
    "statistics",
    "programming in Python",
    "web development",
    "databases",
    "computer hardware",
    "cybersecurity",
    "machine learning",
    "electric cars",
    "renewable energy",
    "home repair",
    "parenting",
    "education",
    "careers",
    "job interviews",
    "small business",
    "marketing",
    "law basics",
    "philosophy",
    "psychology",
    "environment",
    "oceans",
    "space exploration",
    "inventions",
    "email writing",
    "public speaking",
]


def task_type(name: str) -> TaskType:
    """Look a task type up by name."""
    for item in TASK_TYPES:
        if item.name == name:
            return item
    raise KeyError(name)
