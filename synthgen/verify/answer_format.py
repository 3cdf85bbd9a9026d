"""The one answer-format instruction every math/logic row's system message carries.

It is a constant, not a template, so that the extractor (`extract.py`) and the prompts agree by
construction: the reward reads the last `\\boxed{}`, and this is the sentence asking for it.
"""

ANSWER_FORMAT_INSTRUCTION = (
    "Solve the problem. Think step by step, then give only the final answer inside \\boxed{}, "
    "in the form the question asks for."
)
