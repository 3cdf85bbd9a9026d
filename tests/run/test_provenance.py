"""Every kind's dataset card records how its rows were made, with the values of its own run.

Small real runs of each command against fake backends (with rejections of several kinds, so the
funnel has something to show), then each card is read back as a user would: the model file,
quantization, parameters and licence; versions; sampling and seeds; template hashes equal to
the files kept in prompts/; funnel stages that add up to the counters; distinct-2 equal to an
independent count over the Parquet rows; a training snippet that compiles; YAML the Hub's own
`DatasetCard` parses. One slow test checks the real embedded model's quantization and size.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from card_helpers import FileBackend, table_rows
from conftest import manifest
from huggingface_hub import DatasetCard
from model_source_fakes import ProblemResponder, good_proposal
from preference_fakes import judged_response, length_score, make_judge, rubric_json

import synthgen
from synthgen.backends.base import Completion, GenerationRequest
from synthgen.backends.fake import FakeBackend, pseudo_sentence
from synthgen.dpo.card import render_preferences_card
from synthgen.grpo.card import render_problems_card
from synthgen.sft.card import render_sft_card

RENDER = {"sft": render_sft_card, "dpo": render_preferences_card, "mix": render_problems_card,
          "math": render_problems_card}  # fmt: skip
TRAINER = {"sft": "SFTTrainer", "dpo": "DPOTrainer", "mix": "GRPOTrainer", "math": "GRPOTrainer"}


def text_for(key: object, words: int = 12) -> str:
    return pseudo_sentence(hashlib.sha256(repr(key).encode()).digest(), words=words)


def sft_replies(request: GenerationRequest) -> str | Completion:
    """Duplicates, refusing instructions, broken JSON, truncated Magpie turns and refusals, by seed."""
    if request.json_schema is not None:
        k = request.seed % 4
        if k == 0:
            return '{"instruction": "broken'
        if k == 1:
            return json.dumps({"instruction": "Explain how tides work, in detail please.", "input": text_for(1, 20)})
        if k == 2:
            return json.dumps({"instruction": "I'm sorry, but I cannot write a task.", "input": text_for(2, 20)})
        return json.dumps({"instruction": text_for(request.seed), "input": text_for(-request.seed, 20)})
    if request.prompt is not None:
        if request.seed % 3 == 0:
            return Completion(text="half a", completion_tokens=160, finish_reason="length")
        return text_for(("user", request.seed))
    if request.seed % 4 == 0:
        return "I'm sorry, but I can't help with that request."
    return text_for(("answer", request.seed), words=30)


def tied_rubric(request: GenerationRequest) -> str:
    """Every candidate of a third of the prompts scores 5 (a tie); the others score by length."""
    prompt = request.messages[0].content.split("Response to judge:")[0]
    if int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 3 == 0:
        return rubric_json(5)
    return rubric_json(length_score(judged_response(request)))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("provenance")
    synthgen.instructions(12, root / "sft", backend=FileBackend(sft_replies), seed=3, progress=False)
    synthgen.preferences(6, root / "dpo", backend=make_judge(rubric=tied_rubric), seed=1, export="reward",
                         progress=False)  # fmt: skip
    bad = lambda kind, seed: "not json" if seed % 3 == 0 else good_proposal(kind, seed)  # noqa: E731
    synthgen.math(12, root / "mix", source="mix", backend=FakeBackend(ProblemResponder(propose=bad)),
                  max_attempts=200, seed=5, progress=False)  # fmt: skip
    synthgen.math(30, root / "math", seed=2, progress=False)
    return {kind: root / kind for kind in ("sft", "dpo", "mix", "math")}


def card_of(folder: Path) -> str:
    return (folder / "README.md").read_text(encoding="utf-8")


def parquet_rows(folder: Path) -> list[dict]:
    return pq.read_table(folder / "data" / "train-00000-of-00001.parquet").to_pylist()


@pytest.mark.parametrize("kind", ["sft", "dpo", "mix", "math"])
def test_the_card_parses_renders_from_the_manifest_alone_and_has_a_real_snippet(runs, kind):
    folder = runs[kind]
    card = DatasetCard.load(folder / "README.md")
    assert card.data.license and card.data.configs[0]["config_name"] == "default"
    assert RENDER[kind](manifest(folder)) == card_of(folder)  # no clock or machine read at render time
    code = re.search(r"```python\n(.*?)```", card.text, re.S).group(1)
    compile(code, "snippet", "exec")
    assert 'load_dataset("path/to/this/folder", split="train")' in code
    assert f"from trl import {TRAINER[kind]}" in code and f"{TRAINER[kind]}(model=" in code
    assert "train_dataset=ds" in code and "trainer.train()" in code
    if TRAINER[kind] == "GRPOTrainer":
        assert "from synthgen.rewards import accuracy_reward" in code and "reward_funcs=[accuracy_reward]" in code
        from synthgen.rewards import accuracy_reward  # noqa: F401  (the import the snippet makes works)


def test_model_versions_sampling_and_seeds_come_from_the_manifest(runs):
    m, card = manifest(runs["sft"]), card_of(runs["sft"])
    model = dict(table_rows(card, "| | generator |"))
    assert model["file"] == "`tiny.Q4_1.gguf`" and model["sha256"] == f"`{m['model']['sha256']}`"
    assert model["quantization"].startswith("Q4_1; ran as its Q8_0 copy `tiny.q8_0.gguf`")
    assert model["parameters (llama.cpp)"] == "134,515,008 (134.5M)"
    assert model["licence (GGUF `general.license`)"] == "`Apache-2.0`"
    versions = dict(table_rows(card, "| library | version |"))
    assert versions["synthgen"] == m["synthgen_version"]
    assert versions["llama-cpp-python (with the llama.cpp it bundles)"] == m["versions"]["llama-cpp-python"]
    sampling = dict(table_rows(card, "| step | sampling parameters |"))
    assert sampling["response"] == f"`{json.dumps(m['config']['response_params'], sort_keys=True)}`"
    assert f"Run seed **{m['config']['seed']}**" in card and m["seeds"]["derivation"] in card
    assert DatasetCard.load(runs["sft"] / "README.md").data.license == "apache-2.0"


@pytest.mark.parametrize("kind", ["sft", "dpo", "mix"])
def test_templates_are_kept_beside_the_data_with_their_hashes_in_the_card(runs, kind):
    folder = runs[kind]
    kept = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (folder / "prompts").iterdir()}
    assert kept and manifest(folder)["prompts"] == kept
    shown = {name.strip("`"): digest.strip("`") for name, digest in table_rows(card_of(folder), "| template |")}
    assert shown == kept
    from synthgen.text.prompts import PromptSet

    assert all(PromptSet().text(name).encode() == (folder / "prompts" / name).read_bytes() for name in kept)


def test_procedural_math_keeps_no_templates_and_overwrite_removes_old_ones(runs, tmp_path):
    assert not (runs["math"] / "prompts").exists() and manifest(runs["math"])["prompts"] == {}
    assert "No prompt templates" in card_of(runs["math"])
    out = tmp_path / "run"
    synthgen.math(4, out, source="model", backend=FakeBackend(ProblemResponder()), max_attempts=50, progress=False)
    assert (out / "prompts" / "math_propose.txt").is_file()
    synthgen.math(4, out, overwrite=True, progress=False)
    assert not (out / "prompts").exists()


def funnel_of(card: str) -> list[tuple[str, int, dict[str, int]]]:
    rows = table_rows(card, "| stage | passing it means |")
    parse = lambda cell: {k: int(v) for k, v in re.findall(r"`([^`]+)` (\d+)", cell)}  # noqa: E731
    return [(stage, int(count), parse(dropped)) for stage, _, count, dropped in rows]


@pytest.mark.parametrize("kind", ["sft", "dpo", "mix", "math"])
def test_funnel_stages_add_up_to_the_counters(runs, kind):
    m = manifest(runs[kind])
    stages = funnel_of(card_of(runs[kind]))
    counters = m["counters"]
    total = counters["slots"] if "slots" in counters else counters["attempts"]
    drops = (
        counters["rejected_slots"]
        if "slots" in counters
        else m.get("drops")
        or {k: v for k, v in counters.items() if k not in ("attempts", "accepted", "instruction_parse_retries")}
    )
    assert stages[0][1] == total and not stages[0][2]
    for (_, before, _), (_, after, dropped) in zip(stages, stages[1:], strict=False):
        assert before - sum(dropped.values()) == after
    assert stages[-1][1] == counters["accepted"] == m["rows"]
    assert Counter() + Counter({k: v for s in stages for k, v in s[2].items()}) == Counter() + Counter(drops)
    names = [s[0] for s in stages]
    expected = {
        "sft": ["attempted", "parsed", "passed gates", "deduplicated", "kept"],
        "dpo": ["attempted", "parsed", "passed gates", "deduplicated", "judged", "pair passed", "kept"],
        "mix": ["slots drawn", "problem made", "model checks", "kept"],
        "math": ["slots drawn", "problem made", "kept"],
    }
    assert names == expected[kind]
    if kind == "sft":  # every stage dropped something here, each under the stage that drops it
        by_stage = {s[0]: set(s[2]) for s in stages}
        assert by_stage["parsed"] and by_stage["parsed"] <= {"instruction_truncated", "instruction_unparseable"}
        assert by_stage["passed gates"] == {"instruction_refusal"} and by_stage["kept"] == {"response_refusal"}
        assert by_stage["deduplicated"] and by_stage["deduplicated"] <= {"exact_duplicate", "near_duplicate"}
    if kind == "dpo":
        assert {s[0]: set(s[2]) for s in stages}["pair passed"] == {"tie"}


def distinct_2(texts: list[str]) -> tuple[int, int]:
    pairs = []
    for text in texts:
        words = re.findall(r"\w+", text.lower())
        pairs += [(words[i], words[i + 1]) for i in range(len(words) - 1)]
    return len(set(pairs)), len(pairs)


@pytest.mark.parametrize(("kind", "column"), [("sft", "topic"), ("dpo", None), ("math", "family")])
def test_diversity_is_measured_on_the_parquet_rows(runs, kind, column):
    rows, div = parquet_rows(runs[kind]), manifest(runs[kind])["diversity"]
    if kind == "math":
        texts = [r["question"] for r in rows]
    else:
        texts = [
            m["content"] for r in rows for m in r["messages" if kind == "sft" else "prompt"] if m["role"] == "user"
        ]
    distinct, total = distinct_2(texts)
    assert (div["distinct_bigrams"], div["bigrams"], div["rows"]) == (distinct, total, len(rows))
    assert div["distinct_2"] == round(distinct / total, 4)
    card = card_of(runs[kind])
    assert f"**{distinct / total:.4f}** ({distinct:,} distinct of {total:,} word bigrams" in card
    if column:
        counts = Counter(r[column] for r in rows if r[column] is not None)
        assert div["distinct_values"] == len(counts)
        top = table_rows(card, f"| {column} | rows | share |")
        assert [(v.strip("`"), int(n)) for v, n, _ in top] == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[
            :10
        ]
    else:
        assert "column" not in div
