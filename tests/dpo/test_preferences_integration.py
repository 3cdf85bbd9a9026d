"""`synthgen preferences` end to end on the real embedded model (small n), and TRL's row contract.

Slow (minutes on a shared 2-core machine); CI runs it. It checks what only the real model can
show: grammar-constrained judge output from a real sampler always parses, the loop reaches
exactly --n pairs despite a noisy 135M judge, and the folder loads with `datasets` into rows of
exactly the shape TRL's preference format requires, which the model's own chat template renders
with the prompt as a prefix of prompt + answer (what DPOTrainer tokenizes).
"""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_helpers import SYNTHGEN
from jinja2.sandbox import ImmutableSandboxedEnvironment
from preference_contract import check_dataset

pytestmark = pytest.mark.slow


def render(template: str, messages: list[dict], generation_prompt: bool) -> str:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(template).render(messages=messages, add_generation_prompt=generation_prompt)


def test_cli_end_to_end_pairs_in_trl_shape(tmp_path):
    out = tmp_path / "run"
    # n=1: with the embedded 135M judge about 1 prompt in 20 survives the two-order check (README),
    # so each pair costs minutes; one pair still exercises every stage and the row contract.
    command = [
        SYNTHGEN,
        "preferences",
        "--n",
        "1",
        "--out",
        str(out),
        "--seed",
        "3",
        "--min-margin",
        "0.5",
        "--judge",
        "llm",
    ]
    proc = subprocess.run([*command, "--export", "reward"], capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr
    assert "done: 1 pairs" in proc.stdout and "judge A/B order agreement" in proc.stdout
    assert "llama_model_loader" not in proc.stderr

    from datasets import load_dataset

    rows = load_dataset(str(out), split="train").to_list()
    assert len(rows) == 1
    check_dataset(rows)
    manifest = json.loads((out / "manifest.json").read_text())
    template = manifest["model"]["chat_template"]
    for row in rows:
        assert row["prompt"][-1]["role"] == "user" and row["prompt"][-1]["content"].strip()
        assert row["prompt_source"] in ("generated:magpie", "generated:self-instruct")
        assert row["chosen"][0]["content"] != row["rejected"][0]["content"]
        assert row["score_chosen"] > row["score_rejected"] and row["margin"] >= 0.5
        assert all(1 <= v <= 10 for v in row["aspects_chosen"].values())
        assert row["rationale_chosen"].strip() and len(row["rationale_chosen"]) <= 240
        for side in ("chosen", "rejected"):
            prompt_text = render(template, row["prompt"], True)
            full_text = render(template, row["prompt"] + row[side], False)
            assert full_text.startswith(prompt_text), "the rendered prompt must prefix prompt + answer"
    check_dataset(load_dataset(str(out), "reward", split="train").to_list(), explicit=False)

    assert manifest["status"] == "complete" and manifest["rows"] == 1
    agreement = manifest["judge_agreement"]
    assert agreement["pairwise_checks"] >= 1 and agreement["orders_agree"] >= 1
    assert manifest["counters"]["attempts"] == 1 + sum(manifest["drops"].values())
    # The grammar makes every rubric reply parse: no candidate was lost to an unparseable judge.
    assert manifest["counters"].get("candidate_judge_unparseable", 0) == 0
