"""Scoring and the likelihood judge on the real embedded model, and `preferences` on its defaults.

Slow (the model is loaded); CI runs it. What only the real model shows: log-probabilities read
from a batched prefill equal those of the request alone, the likelihood judge prefers a prompt's
own answer to another prompt's, and --candidates-from and the default run end to end.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_helpers import SYNTHGEN
from preference_contract import check_dataset

from synthgen.backends.base import Message, score_request
from synthgen.backends.model_file import embedded_model_path
from synthgen.dpo.likelihood_judge import likelihood_score
from synthgen.text.likelihood import signal_requests, signals_from

pytestmark = pytest.mark.slow

# (prompt, its own answer); each row's "other" answer is the next row's own answer.
FIXED = [
    ("What is the capital of France?", "The capital of France is Paris, which is also its largest city."),
    ("How many legs does a spider have?", "A spider has eight legs, unlike insects, which have six."),
    (
        "Give me a tip for sleeping better.",
        "Keep a regular schedule: go to bed and wake up at the same time every day.",
    ),
    ("What does a thermometer measure?", "A thermometer measures temperature, for example of the air or of your body."),
    ("Translate 'thank you' into Spanish.", "In Spanish, 'thank you' is 'gracias'."),
    (
        "Why is the sky blue?",
        "Sunlight scatters off air molecules, and blue light scatters the most, so the sky looks blue.",
    ),
]


@pytest.fixture(scope="module")
def backend():
    from synthgen.backends.llama_batched import LlamaBatchedBackend

    return LlamaBatchedBackend(embedded_model_path(), parallel=4)


def test_scores_are_the_same_alone_and_in_a_batch(backend):
    requests = [score_request(answer, messages=[Message(role="user", content=q)]) for q, answer in FIXED]
    requests.append(score_request(FIXED[0][1], prompt="Some raw text before the continuation:"))
    batched = backend.generate(requests)
    for request, together in zip(requests, batched, strict=True):
        alone = backend.generate([request])[0]
        assert together.finish_reason == "stop" and len(together.token_logprobs) >= 5
        assert all(lp <= 0 for lp in together.token_logprobs) and together.end_logprob <= 0
        # Observed identical; llama.cpp does not promise bit-equal results across batch layouts.
        assert together.token_logprobs == pytest.approx(alone.token_logprobs, abs=1e-3)
        assert together.end_logprob == pytest.approx(alone.end_logprob, abs=1e-3)
    assert backend.stats["scored_tokens"] > 0


def test_the_likelihood_judge_prefers_a_prompts_own_answer(backend):
    wins = 0
    for i, (question, own) in enumerate(FIXED):
        other = FIXED[(i + 1) % len(FIXED)][1]
        prompt = [Message(role="user", content=question)]
        replies = backend.generate(signal_requests(prompt, own) + signal_requests(prompt, other))
        mine, theirs = signals_from(*replies[:2]), signals_from(*replies[2:])
        assert mine.relevance > theirs.relevance, question
        wins += likelihood_score(mine) > likelihood_score(theirs)
    assert wins == len(FIXED)


def test_candidates_from_end_to_end(tmp_path):
    source = tmp_path / "samples.jsonl"
    rows = [
        {"prompt": q, "responses": [FIXED[(i + 1) % len(FIXED)][1], own, own.split(",")[0]]}
        for i, (q, own) in enumerate(FIXED[:3])
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "run"
    command = [SYNTHGEN, "preferences", "--n", "2", "--candidates-from", str(source), "--out", str(out)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr
    from datasets import load_dataset

    pairs = load_dataset(str(out), split="train").to_list()
    check_dataset(pairs)
    assert len(pairs) == 2 and all(p["pair_source"] == "given" and p["judge"] == "likelihood" for p in pairs)
    owns = {q: own for q, own in FIXED}
    assert all(p["chosen"][0]["content"] == owns[p["prompt"][-1]["content"]] for p in pairs)


def test_default_run_uses_the_likelihood_judge_with_controls(tmp_path):
    out = tmp_path / "run"
    command = [SYNTHGEN, "preferences", "--n", "3", "--out", str(out), "--seed", "5", "--control-every", "1"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr
    assert "done: 3 pairs" in proc.stdout and "control pairs:" in proc.stdout
    from datasets import load_dataset

    rows = load_dataset(str(out), split="train").to_list()
    check_dataset(rows)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["judge"]["kind"] == "likelihood" and "135M" in manifest["judge"]["why"]
    assert manifest["controls"]["pairs"] >= 3
    for row in rows:
        assert row["margin"] >= 0.5 and row["signals_chosen"]["completeness"] <= 0
    card = (out / "README.md").read_text()
    assert "control pairs" in card and "likelihood" in card
