"""--candidates-from: label answers the user already has (fake backend), and its input errors."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import assert_one_line_error, run
from preference_fakes import is_rubric, judged_response, make_judge, rubric_json

import synthgen
from synthgen.dpo.sources import load_prompt_source
from synthgen.errors import SynthgenError

GOOD = "Plants need light because photosynthesis turns light into sugar. That is the short answer."


def rows_file(tmp_path, rows, name="c.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def scoring_judge():
    backend = make_judge()
    backend.scoring, backend.n_params = True, 135_000_000
    return backend


def test_strings_and_message_lists_are_labelled_without_generating(tmp_path):
    rows = [
        {"prompt": "Why do plants need light?", "responses": [GOOD, "Because", "Cats are nice animals to keep."]},
        {
            "prompt": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Why do plants need light?"},
            ],
            "responses": [{"role": "assistant", "content": "Plants need light for photosynthesis."}, "Dunno really"],
        },
        {"prompt": "Only one answer here?", "responses": ["Just one."]},
    ]
    backend = scoring_judge()
    with pytest.raises(SynthgenError, match="--candidates-from .* is exhausted after 3 prompts: 2/3 pairs") as info:
        synthgen.preferences(
            3, tmp_path / "run", candidates_from=rows_file(tmp_path, rows), backend=backend, progress=False
        )
    assert info.value.exit_code == 1
    assert not any(r.continuation is None for r in backend.history)  # nothing was generated, only scored
    out = tmp_path / "run"
    pairs = (
        synthgen.preferences(2, out, candidates_from=rows_file(tmp_path, rows), backend=backend, progress=False)
        .dataset()
        .to_list()
    )
    assert [p["pair_source"] for p in pairs] == ["given", "given"]
    assert pairs[0]["chosen"][0]["content"] == GOOD and pairs[0]["prompt"][0]["content"] == "Why do plants need light?"
    assert pairs[1]["prompt"][0] == {"role": "system", "content": "Be brief."}
    assert pairs[1]["chosen"][0]["content"] == "Plants need light for photosynthesis."
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["drops"] == {"too_few_responses": 1}
    assert manifest["prompt_source"]["prompts"] == 3


def test_parquet_with_renamed_columns_and_the_llm_judge(tmp_path):
    path = tmp_path / "c.parquet"
    table = [{"question": f"Question {i}: why is the sky blue?", "samples": [GOOD, "No."]} for i in range(3)]
    pq.write_table(pa.Table.from_pylist(table), path)

    def rubric(request):  # the longer answer scores higher
        return rubric_json(9 if len(judged_response(request)) > 20 else 2)

    backend = make_judge(rubric=rubric)
    result = synthgen.preferences(
        3,
        tmp_path / "run",
        candidates_from=path,
        prompt_column="question",
        responses_column="samples",
        judge="llm",
        backend=backend,
        progress=False,
    )
    rows = result.dataset().to_list()
    assert len(rows) == 3 and all(r["judge"] == "llm" and r["chosen"][0]["content"] == GOOD for r in rows)
    assert sum(is_rubric(r) for r in backend.history) >= 6


def test_source_reading_errors_are_one_line(tmp_path):
    no_responses = rows_file(tmp_path, [{"prompt": "Hi", "answer": "x"}])
    with pytest.raises(SynthgenError, match="has no responses column .* pass --responses-column"):
        load_prompt_source(no_responses, with_responses=True)
    with pytest.raises(SynthgenError, match="has no column 'nope'"):
        load_prompt_source(no_responses, with_responses=True, responses_column="nope")
    with pytest.raises(SynthgenError, match="--candidates-from not found"):
        load_prompt_source(tmp_path / "missing.jsonl", with_responses=True)
    source = load_prompt_source(
        rows_file(
            tmp_path, [{"prompt": "Hi", "responses": "not a list"}, {"prompt": "Yo", "responses": ["a", " ", "b"]}]
        ),
        with_responses=True,
    )
    assert source.skipped == 1 and source.responses == [["a", "b"]]


def test_cli_errors_exit_2_with_one_line(tmp_path):
    path = rows_file(tmp_path, [{"prompt": "Hi", "answer": "x"}])
    for args, message in (
        (["--candidates-from", str(path)], "no responses column"),
        (["--candidates-from", str(tmp_path / "none.jsonl")], "--candidates-from not found"),
        (["--candidates-from", str(path), "--prompts-from", str(path)], "drop --prompts-from"),
        (["--candidates-from", str(path), "--candidates-mode", "contrast"], "--candidates-from gives them"),
        (["--candidates-from", str(path), "--candidates", "3"], "--candidates does not apply"),
        (["--responses-column", "r"], "--responses-column needs --candidates-from"),
        (["--judge", "maybe"], "judge"),
        (["--control-every", "-1"], "control"),
    ):
        result = run("preferences", "--n", "1", "--out", str(tmp_path / "o"), *args)
        assert_one_line_error(result, message)
