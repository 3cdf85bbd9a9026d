"""Row converters from synthgen's TRL rows to other trainers' documented layouts.

Each converter takes one stored row and returns the rows of the target layout (a preference
pair becomes two KTO rows). Shapes follow each target's own documentation:
- alpaca: {instruction, input, output, system?, history} (LLaMA-Factory, axolotl `alpaca`);
- sharegpt: {conversations: [{from: human|gpt, value}], system} ("" for none: LLaMA-Factory reads the
  column in every row); preference rows add single
  `chosen` / `rejected` messages (LLaMA-Factory `ranking: true`);
- openai: chat fine-tuning {messages}; DPO {input: {messages}, preferred_output: [..],
  non_preferred_output: [..]}; GRPO rows as reinforcement fine-tuning {messages, reference_answer};
- axolotl: SFT `chat_template` {messages}; DPO `chat_template.default` {messages, chosen: msg,
  rejected: msg} (single message dicts);
- kto: TRL's unpaired preference form {prompt, completion, label: bool}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synthgen.errors import SynthgenError

Row = dict[str, Any]
_SHAREGPT_ROLE = {"user": "human", "assistant": "gpt"}


def _turns(messages: list[dict[str, str]]) -> tuple[str | None, list[dict[str, str]]]:
    """(system text or None, the other turns)."""
    system = [m["content"] for m in messages if m["role"] == "system"]
    return ("\n\n".join(system) if system else None), [m for m in messages if m["role"] != "system"]


def _messages(row: Row) -> list[dict[str, str]]:
    """An SFT row's conversation (`messages`)."""
    return [{"role": m["role"], "content": m["content"]} for m in row["messages"]]


def sft_alpaca(row: Row) -> list[Row]:
    system, turns = _turns(_messages(row))
    pairs = [(turns[i]["content"], turns[i + 1]["content"]) for i in range(0, len(turns) - 1, 2)]
    if not pairs or turns[-1]["role"] != "assistant":
        raise SynthgenError(f"row {row.get('id')}: alpaca needs user/assistant turns ending on the assistant")
    instruction, output = pairs[-1]
    out: Row = {"instruction": instruction, "input": "", "output": output, "history": [list(p) for p in pairs[:-1]]}
    if system is not None:
        out["system"] = system
    return [out]


def _sharegpt_turns(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"from": _SHAREGPT_ROLE[m["role"]], "value": m["content"]} for m in turns]


def sft_sharegpt(row: Row) -> list[Row]:
    system, turns = _turns(_messages(row))
    return [{"conversations": _sharegpt_turns(turns), "system": system or ""}]


def dpo_sharegpt(row: Row) -> list[Row]:
    system, turns = _turns(row["prompt"])
    return [
        {
            "conversations": _sharegpt_turns(turns),
            "chosen": _sharegpt_turns(row["chosen"])[-1],
            "rejected": _sharegpt_turns(row["rejected"])[-1],
            "system": system or "",
        }
    ]


def sft_openai(row: Row) -> list[Row]:
    return [{"messages": _messages(row)}]


def dpo_openai(row: Row) -> list[Row]:
    return [
        {
            "input": {"messages": list(row["prompt"])},
            "preferred_output": list(row["chosen"]),
            "non_preferred_output": list(row["rejected"]),
        }
    ]


def grpo_openai(row: Row) -> list[Row]:
    return [{"messages": list(row["prompt"]), "reference_answer": row["answer"]}]


def dpo_axolotl(row: Row) -> list[Row]:
    return [{"messages": list(row["prompt"]), "chosen": row["chosen"][-1], "rejected": row["rejected"][-1]}]


def dpo_kto(row: Row) -> list[Row]:
    return [
        {"prompt": list(row["prompt"]), "completion": list(row["chosen"]), "label": True},
        {"prompt": list(row["prompt"]), "completion": list(row["rejected"]), "label": False},
    ]


def as_stored(row: Row) -> list[Row]:
    return [row]


# (format, kind) -> converter; what is missing is refused with the list of what a kind supports.
CONVERTERS: dict[tuple[str, str], Callable[[Row], list[Row]]] = {
    ("trl", "sft"): as_stored,
    ("trl", "dpo"): as_stored,
    ("trl", "grpo"): as_stored,
    ("alpaca", "sft"): sft_alpaca,
    ("sharegpt", "sft"): sft_sharegpt,
    ("sharegpt", "dpo"): dpo_sharegpt,
    ("openai", "sft"): sft_openai,
    ("openai", "dpo"): dpo_openai,
    ("openai", "grpo"): grpo_openai,
    ("llama-factory", "sft"): sft_sharegpt,
    ("llama-factory", "dpo"): dpo_sharegpt,
    ("axolotl", "sft"): sft_openai,
    ("axolotl", "dpo"): dpo_axolotl,
    ("kto", "dpo"): dpo_kto,
}
FORMATS = ("trl", "alpaca", "sharegpt", "openai", "llama-factory", "axolotl", "kto")


def converter(format: str, kind: str) -> Callable[[Row], list[Row]]:
    """The converter for `format` on a run of `kind`, or a one-line error saying what fits."""
    if (format, kind) not in CONVERTERS:
        fits = ", ".join(f for f in FORMATS if (f, kind) in CONVERTERS)
        raise SynthgenError(f"--format {format} does not apply to a {kind} run; for {kind}: {fits}")
    return CONVERTERS[(format, kind)]
