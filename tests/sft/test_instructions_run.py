"""The instructions run loop against the fake backend: counts, dedup, top-up, resume, refusals."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from conftest import assert_kept_incomplete, journal_records, manifest

import synthgen
from synthgen.backends.base import Completion, GenerationRequest
from synthgen.backends.fake import FakeBackend, pseudo_sentence
from synthgen.errors import SynthgenError


def text_for(key: object, words: int = 12) -> str:
    """Distinct, non-repetitive pseudo text for `key`."""
    return pseudo_sentence(hashlib.sha256(repr(key).encode()).digest(), words=words)


def rows_of(result) -> list[dict]:
    return result.dataset().to_list()


def test_exactly_n_unique_rows_in_trl_shape(tmp_path, fake):
    result = synthgen.instructions(9, tmp_path / "run", backend=fake, progress=False)
    rows = rows_of(result)
    assert result.rows == 9 and len(rows) == 9
    assert len({r["id"] for r in rows}) == 9
    for row in rows:
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["user", "assistant"]
        assert all(m["content"].strip() for m in row["messages"])
        assert row["method"] in ("self-instruct", "magpie")
    counters = manifest(tmp_path / "run")["counters"]
    assert counters["accepted"] == 9
    assert counters["attempts"] == sum(
        v for k, v in counters.items() if k not in ("attempts", "instruction_parse_retries")
    )


def test_mix_uses_both_methods_and_magpie_uses_the_pre_query_prefix(tmp_path, fake):
    result = synthgen.instructions(12, tmp_path / "run", backend=fake, progress=False)
    methods = {r["method"] for r in rows_of(result)}
    assert methods == {"self-instruct", "magpie"}
    raw = [r for r in fake.history if r.prompt is not None]
    assert raw, "magpie attempts must send a raw prompt"
    assert all(r.prompt == "<|im_start|>user\n" and "<|im_end|>" in r.params.stop for r in raw)
    schema_requests = [r for r in fake.history if r.json_schema is not None]
    assert schema_requests and all(r.messages for r in schema_requests)


def _duplicating_responder(request: GenerationRequest) -> str:
    """Self-instruct replies cycle through 3 instructions, so most attempts are duplicates."""
    if request.json_schema is not None:
        text = ["Explain how tides work.", "Explain how tides work!", "Name three uses of copper wire."][
            request.seed % 3
        ]
        return json.dumps({"instruction": text + " Please answer in detail.", "input": text_for(request.seed)})
    return text_for(("answer", request.seed), words=30)


def test_duplicates_are_rejected_and_generation_tops_up(tmp_path):
    fake = FakeBackend(responder=_duplicating_responder)
    result = synthgen.instructions(
        2, tmp_path / "run", backend=fake, method="self-instruct", progress=False, batch_size=4
    )
    rows = rows_of(result)
    users = [r["messages"][0]["content"] for r in rows]
    assert len(rows) == 2
    assert {u.split(" Please")[0].rstrip("!.") for u in users} == {
        "Explain how tides work",
        "Name three uses of copper wire",
    }
    counters = manifest(tmp_path / "run")["counters"]
    assert counters.get("exact_duplicate", 0) + counters.get("near_duplicate", 0) >= 1
    assert counters["attempts"] > 2


def test_unparseable_json_is_retried_and_counted(tmp_path):
    calls = {"n": 0}

    def flaky(request: GenerationRequest) -> str:
        if request.json_schema is not None:
            calls["n"] += 1
            if calls["n"] % 2 == 1:
                return '{"instruction": "truncated'  # every other schema reply is broken
            return json.dumps({"instruction": text_for(calls["n"]), "input": ""})
        return text_for(("answer", request.seed), words=30)

    result = synthgen.instructions(
        4, tmp_path / "run", backend=FakeBackend(responder=flaky), method="self-instruct", progress=False
    )
    assert result.rows == 4
    assert manifest(tmp_path / "run")["counters"]["instruction_parse_retries"] >= 4


def test_refusals_are_counted_and_a_hopeless_model_stops_with_rows_kept(tmp_path):
    def refuses(request: GenerationRequest) -> str:
        if request.json_schema is not None:
            return json.dumps({"instruction": text_for(request.seed), "input": text_for(-request.seed, 20)})
        return "I'm sorry, but I can't help with that request."

    with pytest.raises(SynthgenError) as info:
        synthgen.instructions(
            2, tmp_path / "run", backend=FakeBackend(responder=refuses), method="self-instruct", progress=False
        )
    assert info.value.exit_code == 1 and "gave up" in str(info.value)
    counters = manifest(tmp_path / "run")["counters"]
    assert counters["response_refusal"] == counters["attempts"] == 40
    assert assert_kept_incomplete(tmp_path / "run", "gave up") == []


def test_batch_size_does_not_change_rows(tmp_path):
    a = synthgen.instructions(10, tmp_path / "a", backend=FakeBackend(), batch_size=1, progress=False)
    b = synthgen.instructions(10, tmp_path / "b", backend=FakeBackend(), batch_size=7, progress=False)
    assert rows_of(a) == rows_of(b)


def test_seed_changes_rows_and_same_seed_reproduces(tmp_path):
    a = synthgen.instructions(5, tmp_path / "a", backend=FakeBackend(), seed=1, progress=False)
    b = synthgen.instructions(5, tmp_path / "b", backend=FakeBackend(), seed=1, progress=False)
    c = synthgen.instructions(5, tmp_path / "c", backend=FakeBackend(), seed=2, progress=False)
    assert rows_of(a) == rows_of(b)
    assert [r["seed"] for r in rows_of(a)] != [r["seed"] for r in rows_of(c)]


def test_resume_after_torn_journal_gives_the_uninterrupted_result(tmp_path):
    reference = rows_of(synthgen.instructions(8, tmp_path / "ref", backend=FakeBackend(), progress=False))
    out = tmp_path / "run"
    synthgen.instructions(8, out, backend=FakeBackend(), progress=False)
    journal = out / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    # Keep 3 complete lines and half of the 4th, as a kill -9 during a write would leave them.
    journal.write_bytes(b"".join(lines[:3]) + lines[3][: len(lines[3]) // 2])
    (out / "data" / "train-00000-of-00001.parquet").unlink()
    fake = FakeBackend()
    resumed = synthgen.instructions(8, out, backend=fake, progress=False)
    assert rows_of(resumed) == reference
    attempts = [r["attempt"] for r in journal_records(out)]
    assert attempts == sorted(set(attempts)), "no attempt journaled twice"
    assert len(fake.history) < 2 * 8 + 10, "resume must not regenerate finished attempts"


def test_interrupt_mid_run_keeps_rows_and_resume_completes(tmp_path):
    reference = rows_of(synthgen.instructions(8, tmp_path / "ref", backend=FakeBackend(), progress=False))
    budget = {"calls": 0}

    def dies(request: GenerationRequest) -> str | Completion:
        budget["calls"] += 1
        if budget["calls"] > 12:
            raise KeyboardInterrupt
        return FakeBackend()._one(request)

    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        synthgen.instructions(8, out, backend=FakeBackend(responder=dies), batch_size=2, progress=False)
    kept = [r for r in journal_records(out) if r["status"] == "accepted"]
    assert 0 < len(kept) < 8
    assert len(assert_kept_incomplete(out, "interrupted")) == len(kept)
    resumed = synthgen.instructions(8, out, backend=FakeBackend(), batch_size=2, progress=False)
    assert rows_of(resumed) == reference


def test_larger_n_on_a_finished_folder_continues_it(tmp_path):
    out = tmp_path / "run"
    first = rows_of(synthgen.instructions(4, out, backend=FakeBackend(), progress=False))
    more = rows_of(synthgen.instructions(7, out, backend=FakeBackend(), progress=False))
    assert more[:4] == first and len(more) == 7 and len({r["id"] for r in more}) == 7


def test_different_config_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "run"
    synthgen.instructions(3, out, backend=FakeBackend(), seed=1, progress=False)
    with pytest.raises(SynthgenError, match="different configuration"):
        synthgen.instructions(3, out, backend=FakeBackend(), seed=2, progress=False)
    result = synthgen.instructions(3, out, backend=FakeBackend(), seed=2, overwrite=True, progress=False)
    assert {r["seed"] for r in rows_of(result)} == {
        r["seed"]
        for r in rows_of(synthgen.instructions(3, tmp_path / "fresh", backend=FakeBackend(), seed=2, progress=False))
    }


def test_overwrite_never_deletes_a_folder_synthgen_did_not_make(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("precious")
    with pytest.raises(SynthgenError, match="did not create"):
        synthgen.instructions(2, out, backend=FakeBackend(), overwrite=True, progress=False)
    assert (out / "thesis.txt").read_text() == "precious"


def test_system_prompt_adds_a_system_turn(tmp_path, fake):
    result = synthgen.instructions(3, tmp_path / "run", backend=fake, system_prompt="Be brief.", progress=False)
    for row in rows_of(result):
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
        assert row["messages"][0]["content"] == "Be brief."


def test_user_topics_replace_builtins(tmp_path, fake):
    topics = tmp_path / "topics.txt"
    topics.write_text("volcanoes\n# comment\n\nbeekeeping\n")
    result = synthgen.instructions(
        6, tmp_path / "run", backend=fake, topics=topics, method="self-instruct", progress=False
    )
    assert {r["topic"] for r in rows_of(result)} <= {"volcanoes", "beekeeping"}
    prompts = [r.messages[0].content for r in fake.history if r.json_schema is not None]
    assert all("volcanoes" in p or "beekeeping" in p for p in prompts)


def test_card_and_manifest_describe_the_run(tmp_path, fake):
    out = tmp_path / "run"
    synthgen.instructions(3, out, backend=fake, progress=False)
    card = (out / "README.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["configs"][0]["data_files"][0]["path"] == "data/train-*.parquet"
    assert "synthetic" in meta["tags"] and meta["size_categories"] == ["n<1K"]
    m = manifest(out)
    assert m["status"] == "complete" and m["rows"] == 3
    assert m["config"]["seed"] == 0 and m["model"]["name"] == "fake"
    assert m["versions"]["datasets"] and m["timing"]["sessions"]


def test_prompt_override_changes_what_the_model_is_asked(tmp_path, fake):
    override = tmp_path / "prompts"
    override.mkdir()
    (override / "self_instruct.txt").write_text("CUSTOM about ${topic}: ${task_description}. ${input_rule}")
    synthgen.instructions(3, tmp_path / "run", backend=fake, prompts=override, method="self-instruct", progress=False)
    asked = [r.messages[0].content for r in fake.history if r.json_schema is not None]
    assert asked and all(a.startswith("CUSTOM about ") for a in asked)


def test_a_second_run_on_a_locked_folder_is_refused(tmp_path):
    from synthgen.run.folder import RunFolder

    out = tmp_path / "run"
    holder = RunFolder(out)
    holder.lock()  # as a concurrent run would hold it
    try:
        with pytest.raises(SynthgenError, match="another synthgen run"):
            synthgen.instructions(2, out, backend=FakeBackend(), progress=False)
    finally:
        holder.unlock()
    result = synthgen.instructions(2, out, backend=FakeBackend(), progress=False)
    assert result.rows == 2


def test_the_slot_context_covers_the_longest_request_the_gates_allow(tmp_path):
    """An answer's prompt holds the template, the system prompt and a user turn up to the
    instruction gate's max_chars; the slot context is sized for that plus the response, in
    steps of 256 tokens, and grows with a longer system prompt or response."""
    from synthgen.sft.config import InstructionsConfig

    base = InstructionsConfig(n=1, out=tmp_path)
    tokens = base.sequence_tokens()
    assert tokens % 256 == 0
    assert tokens >= base.response_params.max_tokens + base.instruction_limits.max_chars / 2.5
    assert tokens < 2048  # the old fixed size: a stream of 28 such slots took 4x as long to create
    longer = InstructionsConfig(n=1, out=tmp_path, system_prompt="You answer in detail. " * 60)
    assert longer.sequence_tokens() >= tokens + 512
    more = base.model_copy(update={"response_params": base.response_params.model_copy(update={"max_tokens": 1024})})
    assert more.sequence_tokens() >= tokens + 512


def test_spare_attempts_cover_the_expected_rejections_of_the_rows_still_needed(tmp_path):
    """A streaming backend gets spares for the rejections expected among the rows still needed
    (Laplace estimate from decided attempts, plus one), not one per slot; chunked ones get none."""
    from synthgen.sft.config import InstructionsConfig
    from synthgen.sft.loop import InstructionsLoop

    loop = InstructionsLoop(InstructionsConfig(n=64, out=tmp_path), None, None, None, "fp", None)
    assert loop._spare() == 0  # chunked backend: a spare would cost a whole extra chunk
    loop.hedge = True
    assert loop._spare() == 65  # nothing decided yet: acceptance 1/2, so as many spares as rows
    loop.counters.update(attempts=100, accepted=80)
    loop.rows = [{}] * 59  # 5 rows still needed at 81/102 acceptance: 1.3 expected rejections
    assert loop._spare() == 3
    loop.rows = [{}] * 64
    assert loop._spare() == 1
