"""`synthgen export`: every format against its target's documented shape, splits, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from cli_helpers import assert_one_line_error, run
from datasets import load_dataset
from preference_fakes import make_judge

import synthgen
from synthgen.backends.fake import FakeBackend
from synthgen.errors import SynthgenError
from synthgen.publish.split import in_test

SYSTEM = "Réponds en français / s'il te plaît."


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    synthgen.instructions(12, root / "sft", backend=FakeBackend(), system_prompt=SYSTEM, progress=False)
    synthgen.preferences(6, root / "dpo", backend=make_judge(), progress=False)
    synthgen.math(10, root / "math", progress=False)
    return {"sft": root / "sft", "dpo": root / "dpo", "grpo": root / "math"}


def stored(folder: Path) -> list[dict]:
    return pq.read_table(folder / "data" / "train-00000-of-00001.parquet").to_pylist()


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_sharegpt_sft_alternates_human_and_gpt_and_keeps_the_text(runs, tmp_path):
    out = tmp_path / "sharegpt.jsonl"
    synthgen.export(runs["sft"], "sharegpt", out)
    exported, original = jsonl(out), stored(runs["sft"])
    assert len(exported) == len(original)
    for row, source in zip(exported, original, strict=True):
        assert [t["from"] for t in row["conversations"]] == ["human", "gpt"]
        assert row["system"] == SYSTEM
        turns = [m["content"] for m in source["messages"] if m["role"] != "system"]
        assert [t["value"] for t in row["conversations"]] == turns
    text = out.read_text(encoding="utf-8")
    assert "Réponds" in text and "/ s'il" in text  # not escaped into \\u00e9 or \\/


def test_alpaca_parquet_has_instruction_input_output(runs, tmp_path):
    out = tmp_path / "alpaca.parquet"
    synthgen.export(runs["sft"], "alpaca", out)
    for row, source in zip(pq.read_table(out).to_pylist(), stored(runs["sft"]), strict=True):
        user = next(m["content"] for m in source["messages"] if m["role"] == "user")
        answer = next(m["content"] for m in source["messages"] if m["role"] == "assistant")
        assert (row["instruction"], row["input"], row["output"], row["history"]) == (user, "", answer, [])
        assert row["system"] == SYSTEM


def test_openai_sft_dpo_and_grpo_shapes(runs, tmp_path):
    synthgen.export(runs["sft"], "openai", tmp_path / "sft.jsonl")
    for row in jsonl(tmp_path / "sft.jsonl"):
        assert set(row) == {"messages"} and row["messages"][-1]["role"] == "assistant"
        assert {m["role"] for m in row["messages"]} <= {"system", "user", "assistant"}
    synthgen.export(runs["dpo"], "openai", tmp_path / "dpo.jsonl")
    for row, source in zip(jsonl(tmp_path / "dpo.jsonl"), stored(runs["dpo"]), strict=True):
        assert set(row) == {"input", "preferred_output", "non_preferred_output"}
        assert row["input"]["messages"] == source["prompt"] and row["input"]["messages"][-1]["role"] == "user"
        assert row["preferred_output"] == source["chosen"] and row["non_preferred_output"] == source["rejected"]
        assert all(m["role"] == "assistant" for m in row["preferred_output"] + row["non_preferred_output"])
    synthgen.export(runs["grpo"], "openai", tmp_path / "rft.jsonl")
    for row, source in zip(jsonl(tmp_path / "rft.jsonl"), stored(runs["grpo"]), strict=True):
        assert row == {"messages": source["prompt"], "reference_answer": source["answer"]}
        assert row["messages"][-1]["role"] == "user"


def test_kto_is_unpaired_with_a_boolean_label_and_loads(runs, tmp_path):
    synthgen.export(runs["dpo"], "kto", tmp_path / "kto")
    ds = load_dataset(str(tmp_path / "kto"), split="train")
    assert ds.features["label"].dtype == "bool"
    rows, pairs = ds.to_list(), stored(runs["dpo"])
    assert len(rows) == 2 * len(pairs)
    for pair, good, bad in zip(pairs, rows[::2], rows[1::2], strict=True):
        assert (good["label"], bad["label"]) == (True, False)
        assert good["prompt"] == bad["prompt"] == pair["prompt"]
        assert (good["completion"], bad["completion"]) == (pair["chosen"], pair["rejected"])


def test_trl_folder_with_a_split_loads_both_splits_with_the_stored_schema(runs, tmp_path):
    result = synthgen.export(runs["grpo"], "trl", tmp_path / "trl", test_size=0.3)
    loaded = load_dataset(str(tmp_path / "trl"))
    assert set(loaded) == {"train", "test"} and result.rows == {s: loaded[s].num_rows for s in loaded}
    original = stored(runs["grpo"])
    assert loaded["train"].num_rows + loaded["test"].num_rows == len(original)
    for split in ("train", "test"):
        assert all(in_test(r["id"], 0.3) == (split == "test") for r in loaded[split])
    by_id = {r["id"]: r for r in original}
    assert all(row == by_id[row["id"]] for split in loaded.values() for row in split)
    card = yaml.safe_load((tmp_path / "trl" / "README.md").read_text().split("---")[1])
    assert [f["split"] for f in card["configs"][0]["data_files"]] == ["train", "test"]


def test_llama_factory_registers_each_file_with_its_columns(runs, tmp_path):
    synthgen.export(runs["dpo"], "llama-factory", tmp_path / "lf", test_size=0.5)
    info = json.loads((tmp_path / "lf" / "dataset_info.json").read_text())
    assert set(info) == {"lf", "lf_test"}
    for entry in info.values():
        assert entry["formatting"] == "sharegpt" and entry["ranking"] is True
        for row in jsonl(tmp_path / "lf" / entry["file_name"]):
            assert set(entry["columns"].values()) <= set(row)
            assert row["chosen"]["from"] == row["rejected"]["from"] == entry["tags"]["assistant_tag"]
            assert row["conversations"][-1]["from"] == entry["tags"]["user_tag"]


def test_axolotl_snippet_names_the_file_and_the_type(runs, tmp_path):
    synthgen.export(runs["sft"], "axolotl", tmp_path / "ax")
    config = yaml.safe_load((tmp_path / "ax" / "axolotl.yaml").read_text())
    dataset = config["datasets"][0]
    assert dataset["type"] == "chat_template" and dataset["field_messages"] == "messages"
    rows = jsonl(Path(dataset["path"]))
    assert len(rows) == 12 and all(r["messages"][-1]["role"] == "assistant" for r in rows)
    synthgen.export(runs["dpo"], "axolotl", tmp_path / "ax-dpo")
    config = yaml.safe_load((tmp_path / "ax-dpo" / "axolotl.yaml").read_text())
    assert config["rl"] == "dpo" and config["datasets"][0]["type"] == "chat_template.default"
    for row in jsonl(Path(config["datasets"][0]["path"])):
        assert row["chosen"]["role"] == row["rejected"]["role"] == "assistant"  # single message dicts


def test_a_file_out_with_a_split_writes_train_and_test_beside_it(runs, tmp_path):
    result = synthgen.export(runs["sft"], "trl", tmp_path / "rows.jsonl", test_size=0.5)
    assert [p.name for p in result.files] == ["rows-train.jsonl", "rows-test.jsonl"]
    ids = [r["id"] for p in result.files for r in jsonl(p)]
    assert sorted(ids) == sorted(r["id"] for r in stored(runs["sft"]))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("sft", "kto", "k.jsonl"), "does not apply to a sft run"),
        (("grpo", "sharegpt", "s.jsonl"), "does not apply to a grpo run"),
        (("sft", "csv", "x.jsonl"), "--format must be one of"),
        (("sft", "trl", "x.csv"), "use a .jsonl or .parquet"),
        (("sft", "axolotl", "x.jsonl"), "writes a folder"),
        (("sft", "trl", "missing/x.jsonl"), "does not exist"),
    ],
)
def test_bad_requests_are_one_line_errors_and_write_nothing(runs, tmp_path, args, fragment):
    kind, format, out = args
    before = sorted(tmp_path.rglob("*"))
    assert_one_line_error(run("export", str(runs[kind]), "--format", format, "--out", str(tmp_path / out)), fragment)
    assert sorted(tmp_path.rglob("*")) == before


def test_an_existing_target_needs_overwrite(runs, tmp_path):
    out = tmp_path / "x.jsonl"
    out.write_text("keep me\n")
    with pytest.raises(SynthgenError, match="--overwrite"):
        synthgen.export(runs["sft"], "openai", out)
    assert out.read_text() == "keep me\n"
    synthgen.export(runs["sft"], "openai", out, overwrite=True)
    assert len(jsonl(out)) == 12


def test_an_unfinished_run_is_refused_unless_allowed(runs, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(runs["sft"], copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    with pytest.raises(SynthgenError, match="not finished"):
        synthgen.export(copy, "openai", tmp_path / "a.jsonl")
    assert len(synthgen.export(copy, "openai", tmp_path / "a.jsonl", allow_partial=True).files) == 1


def test_the_cli_prints_the_files(runs, tmp_path):
    proc = run("export", str(runs["sft"]), "--format", "sharegpt", "--out", str(tmp_path / "s.jsonl"))
    assert proc.returncode == 0, proc.stderr
    assert "exported sft rows as sharegpt: train 12" in proc.stdout and str(tmp_path / "s.jsonl") in proc.stdout
