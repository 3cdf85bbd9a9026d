"""--prompts-from sources (files, folders, SFT runs, HF folders) and the CLI's one-line input errors."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import assert_one_line_error, run
from preference_fakes import make_judge

import synthgen
from synthgen.backends.fake import FakeBackend
from synthgen.dpo.sources import load_prompt_source
from synthgen.errors import SynthgenError


def contents(source) -> list[list[tuple[str, str]]]:
    return [[(m.role, m.content) for m in p] for p in source.prompts]


def test_jsonl_strings_and_skipped_rows(tmp_path):
    path = tmp_path / "p.jsonl"
    rows = [{"prompt": "Name a fruit.", "id": 1}, {"prompt": "  "}, {"id": 3}, {"prompt": "Why is ice slippery?"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    source = load_prompt_source(path)
    assert source.column == "prompt" and source.skipped == 2
    assert contents(source) == [[("user", "Name a fruit.")], [("user", "Why is ice slippery?")]]


def test_parquet_messages_are_cut_after_the_last_user_turn(tmp_path):
    path = tmp_path / "p.parquet"
    conv = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Tell me a joke."},
        {"role": "assistant", "content": "No."},
    ]
    pq.write_table(pa.Table.from_pylist([{"messages": conv, "score": 1.0}]), path)
    source = load_prompt_source(path)
    assert source.column == "messages"
    assert contents(source) == [[(m["role"], m["content"]) for m in conv[:4]]]


def test_text_file_one_prompt_per_line_and_sharegpt(tmp_path):
    text = tmp_path / "p.txt"
    text.write_text("First prompt\n\nSecond prompt\n")
    assert contents(load_prompt_source(text)) == [[("user", "First prompt")], [("user", "Second prompt")]]
    share = tmp_path / "s.jsonl"
    share.write_text(json.dumps({"conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "A"}]}))
    assert contents(load_prompt_source(share)) == [[("user", "Q?")]]


def test_an_sft_run_folder_gives_its_user_turns(tmp_path):
    run_dir = tmp_path / "sft"
    sft = synthgen.instructions(3, run_dir, backend=FakeBackend(), progress=False).dataset().to_list()
    source = load_prompt_source(run_dir)
    assert source.column == "messages"
    assert contents(source) == [[("user", r["messages"][0]["content"])] for r in sft]


def test_hf_folders_saved_to_disk_and_parquet_folders(tmp_path):
    from datasets import Dataset, DatasetDict

    DatasetDict({"train": Dataset.from_dict({"question": ["A?", "B?"]})}).save_to_disk(str(tmp_path / "dd"))
    assert contents(load_prompt_source(tmp_path / "dd")) == [[("user", "A?")], [("user", "B?")]]
    Dataset.from_dict({"instruction": ["C?"]}).save_to_disk(str(tmp_path / "ds"))
    assert contents(load_prompt_source(tmp_path / "ds")) == [[("user", "C?")]]
    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist([{"query": "D?"}]), folder / "a.parquet")
    pq.write_table(pa.Table.from_pylist([{"query": "E?"}]), folder / "b.parquet")
    assert contents(load_prompt_source(folder)) == [[("user", "D?")], [("user", "E?")]]


def test_column_choice_ambiguity_and_missing_column(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"question_text": "Q?", "notes": "n"}) + "\n")
    with pytest.raises(SynthgenError, match="--prompt-column"):
        load_prompt_source(path)
    assert contents(load_prompt_source(path, "question_text")) == [[("user", "Q?")]]
    with pytest.raises(SynthgenError, match="no column 'body'.*question_text, notes"):
        load_prompt_source(path, "body")


def test_empty_sources_are_refused(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(SynthgenError, match="no prompts"):
        load_prompt_source(empty)
    blank = tmp_path / "blank.jsonl"
    blank.write_text(json.dumps({"prompt": ""}) + "\n")
    with pytest.raises(SynthgenError, match="no prompts in column 'prompt'"):
        load_prompt_source(blank)
    with pytest.raises(SynthgenError, match="not found"):
        load_prompt_source(tmp_path / "missing.jsonl")


def test_a_system_prompt_is_added_to_source_prompts(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("What is rain?\nWhat is snow?\n")
    result = synthgen.preferences(
        2, tmp_path / "run", prompts_from=path, system_prompt="Be brief.", backend=make_judge(), progress=False
    )
    for row in result.dataset().to_list():
        assert [m["role"] for m in row["prompt"]] == ["system", "user"] and row["prompt"][0]["content"] == "Be brief."
        assert row["prompt_source"] == "file"


def test_cli_help_lists_the_options():
    proc = run("preferences", "--help")
    assert proc.returncode == 0
    for option in ("--prompts-from", "--prompt-column", "--candidates", "--judge-model", "--min-margin", "--export"):
        assert option in proc.stdout


def test_cli_candidates_1(tmp_path):
    assert_one_line_error(run("preferences", "--candidates", "1", "--out", str(tmp_path / "o")), "--candidates")


def test_cli_prompts_file_without_the_named_column(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"prompt": "Q?"}) + "\n")
    proc = run("preferences", "--prompts-from", str(path), "--prompt-column", "question", "--out", str(tmp_path / "o"))
    assert_one_line_error(proc, "no column 'question'")
    assert not (tmp_path / "o").exists()


def test_cli_empty_prompts_source(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("\n\n")
    assert_one_line_error(run("preferences", "--prompts-from", str(path), "--out", str(tmp_path / "o")), "no prompts")


def test_cli_judge_model_that_does_not_load(tmp_path):
    bad = tmp_path / "judge.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)  # right magic, no model: llama.cpp itself refuses it
    proc = run("preferences", "--judge-model", str(bad), "--out", str(tmp_path / "o"))
    assert_one_line_error(proc, "--judge-model", "failed to load")
    assert not (tmp_path / "o").exists()
    proc = run("preferences", "--judge-model", str(tmp_path / "missing.gguf"), "--out", str(tmp_path / "o"))
    assert_one_line_error(proc, "--judge-model", "not found")
