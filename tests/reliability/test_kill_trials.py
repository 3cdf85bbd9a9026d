"""Kill -9 at seeded random moments, resume, and check that nothing was lost, doubled or torn.

Every generating command and variant gets TRIALS trials on the fake backend (kill_variants.py),
each in a fresh folder: one or two SIGKILLs at moments drawn by random.Random(seed) from the
span of an uninterrupted reference run (a kill may land in the loop, in a journal write, in the
Parquet or manifest write, or after the end), a rerun of the same call after each, then a last
rerun that must finish. The folder must then hold exactly n rows with unique ids, no torn line
or half-written file anywhere, manifest counters that are the journal's records counted, and
the very rows of the reference run (the fake backend is deterministic, and a resume promises
the uninterrupted result); emitted SFT/DPO folders of `math --solve` must equal the reference's.
A failing trial names its variant, seed and kill moments. The runs happen in children forked
by one zygote process (kill_harness.py), so a trial costs its run time, not a Python start.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import SYNTHGEN
from folder_checks import assert_complete_run, assert_stopped_cleanly, assert_whole_files, journal, parquet_rows
from kill_harness import Zygote, assert_one_resume_line, signal_and_time, start, wait_until

import synthgen

TRIALS = 20


@pytest.fixture(scope="module")
def zygote():
    with Zygote() as z:
        yield z


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, str]:
    """Files the variants read: the gold answers a --solve policy needs, a --candidates-from file."""
    root = tmp_path_factory.mktemp("inputs")
    golds = {r["question"]: r["answer"] for r in synthgen.math(16, root / "golds", progress=False).dataset()}
    (root / "golds.json").write_text(json.dumps(golds))
    candidates = [
        {"prompt": f"Question {i}: why is the sky blue?",
         "responses": [f"Rayleigh scattering, case {i}: air scatters short blue wavelengths more.", "No.", "Blue."]}
        for i in range(30)
    ]  # fmt: skip
    (root / "candidates.jsonl").write_text("".join(json.dumps(c) + "\n" for c in candidates))
    return {"golds": str(root / "golds.json"), "candidates_from": str(root / "candidates.jsonl")}


def _solve(trial: Path, inputs: dict[str, str]) -> dict[str, Any]:
    """--solve 2 with both emitted folders in the trial folder (a --solve run without them ends the same way,
    minus the two emissions, so one variant covers both)."""
    return {"n": 8, "golds": inputs["golds"], "options": {"solve": 2},
            "emit_sft": str(trial / "emit-sft"), "emit_dpo": str(trial / "emit-dpo")}  # fmt: skip


# name: (variant function, rows asked, args for a trial folder)
CASES = {
    "instructions": ("instructions", 12, lambda trial, inputs: {"n": 12}),
    "preferences": ("preferences", 6, lambda trial, inputs: {"n": 6}),
    "preferences --candidates-from": (
        "preferences", 8, lambda trial, inputs: {"n": 8, "candidates_from": inputs["candidates_from"]}
    ),
    "math": ("math", 40, lambda trial, inputs: {"n": 40}),
    "math --solve --emit-sft --emit-dpo": ("math", 8, _solve),
    "math --source model": ("math", 4, lambda trial, inputs: {"n": 4, "options": {"source": "model"}}),
    "logic": ("logic", 100, lambda trial, inputs: {"n": 100}),
    "instructions --num-shards 3": ("instructions", 12, lambda trial, inputs: {"n": 12, "options": {"num_shards": 3}}),
    "logic --shard-index 1 --num-shards 3": (
        "logic", 40, lambda trial, inputs: {"n": 120, "options": {"shard_index": 1, "num_shards": 3}}
    ),
}  # fmt: skip


def run_folder(out: Path, args: dict[str, Any]) -> Path:
    """The folder that holds the rows: OUT itself, or OUT/shards/K-of-N for one shard made by hand."""
    options = args.get("options", {})
    if options.get("shard_index") is not None:
        return out / "shards" / f"{options['shard_index']:05d}-of-{options['num_shards']:05d}"
    return out


def emitted(trial: Path) -> dict[str, list[dict]]:
    return {name: parquet_rows(trial / name) for name in ("emit-sft", "emit-dpo") if (trial / name).exists()}


@pytest.mark.parametrize("case", list(CASES))
def test_kill_and_resume_gives_the_uninterrupted_run(case, zygote, inputs, tmp_path):
    variant, n, make_args = CASES[case]
    ref_dir = tmp_path / "reference"
    ref_args = make_args(ref_dir, inputs)
    reference = zygote.run(variant, ref_dir / "out", ref_args)
    assert reference.code == 0, reference.log
    ref_rows = assert_complete_run(run_folder(ref_dir / "out", ref_args), n)
    ref_emitted = emitted(ref_dir)
    landed = 0
    for trial_number in range(TRIALS):
        seed = zlib.crc32(case.encode()) + trial_number
        rng = random.Random(seed)
        moments = [round(rng.uniform(0, reference.seconds), 4) for _ in range(rng.choice((1, 1, 2)))]
        trial = tmp_path / f"trial-{trial_number}"
        args, out = make_args(trial, inputs), trial / "out"
        where = f"{case}: seed {seed}, SIGKILL at {moments} s of a {reference.seconds} s run"
        for moment in moments:
            outcome = zygote.run(variant, out, args, kill_after=moment)
            assert outcome.killed or outcome.code == 0, f"{where}: the run failed before the kill\n{outcome.log}"
            landed += outcome.killed
        final = zygote.run(variant, out, args)
        assert final.code == 0, f"{where}: the resumed run failed\n{final.log}"
        try:
            assert_whole_files(trial, context="trial folder: ")
            assert_complete_run(run_folder(out, args), n, ref_rows)
            assert emitted(trial) == ref_emitted, "emitted folders differ from the uninterrupted run's"
        except AssertionError as exc:
            raise AssertionError(f"{where}: {exc}") from None
    assert landed >= TRIALS // 2, f"only {landed} kills landed mid-run: the trials would prove little"


def test_kill_a_push_and_push_again_gives_one_commit_of_the_same_tree(tmp_path):
    """`push` killed at a seeded moment, then pushed again: the repo ends with the files an
    uninterrupted push makes, in exactly one commit, and the run folder is never touched."""
    from hub_server import HubServer
    from hub_server.server import DEFAULT_USER

    from synthgen.backends.fake import FakeBackend

    folder = tmp_path / "run"
    synthgen.instructions(12, folder, backend=FakeBackend(), seed=3, progress=False)
    before = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    token = "hf_KILLtrialTOKEN0123456789"
    with HubServer(tmp_path / "hub", token=token, upload_mode="auto") as hub:
        hub.inject("", delay=0.002, after=True, times=None)  # loopback answers at once; a real Hub takes a while
        with Zygote(hub.client_env(tmp_path / "home", token=token)) as zygote:
            args = {"folder": str(folder), "endpoint": hub.url, "token": token}
            ref_repo = f"{DEFAULT_USER}/kill-reference"
            reference = zygote.run("push", tmp_path / "push-ref", {**args, "repo": ref_repo})
            assert reference.code == 0, reference.log
            expected = hub.files(ref_repo)
            assert "data/train-00000-of-00001.parquet" in expected and len(hub.commits(ref_repo)) == 1
            landed = 0
            for trial_number in range(TRIALS):
                seed = zlib.crc32(b"push") + trial_number
                rng = random.Random(seed)
                moments = [round(rng.uniform(0, reference.seconds), 4) for _ in range(rng.choice((1, 1, 2)))]
                repo = f"{DEFAULT_USER}/kill-{trial_number}"
                where = f"push: seed {seed}, SIGKILL at {moments} s of a {reference.seconds} s push"
                for moment in moments:
                    outcome = zygote.run("push", tmp_path / f"push-{trial_number}", {**args, "repo": repo},
                                         kill_after=moment)  # fmt: skip
                    assert outcome.killed or outcome.code == 0, f"{where}: failed before the kill\n{outcome.log}"
                    landed += outcome.killed
                final = zygote.run("push", tmp_path / f"push-{trial_number}", {**args, "repo": repo})
                assert final.code == 0, f"{where}: the push after the kill failed\n{final.log}"
                files = {path: data.replace(repo.encode(), ref_repo.encode()) for path, data in hub.files(repo).items()}
                assert files == expected, f"{where}: the repo differs from an uninterrupted push's"
                assert len(hub.commits(repo)) == 1, f"{where}: {len(hub.commits(repo))} commits"
            assert not hub.errors, hub.errors
    assert landed >= TRIALS // 2, f"only {landed} kills landed mid-push"
    assert {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} == before, "push changed the run"


CLI_TRIALS = 3
CLI_CASES = {
    "instructions": ["instructions", "--n", "8"],
    # generated candidates of the scripted server's pseudo text never clear the judge's margin: label given ones
    "preferences --candidates-from": ["preferences", "--n", "4", "--candidates-from", "{candidates}",
                                      "--judge", "likelihood"],
    "math --solve": ["math", "--n", "6", "--solve", "2"],
    "logic --solve": ["logic", "--n", "6", "--solve", "2"],
}  # fmt: skip


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_kill_a_command_line_run_on_a_server_and_rerun_it(case, zygote, tmp_path):
    """The same trials through the CLI's entry point (synthgen.cli.main.main, in a forked child)
    with `--base-url` at a scripted OpenAI-compatible server on loopback: the HTTP backend, its
    retries and its event loop are what the kill interrupts here."""
    from openai_server.scripted import ScriptedServer

    template = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    props = {"chat_template": template + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
             "bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "total_slots": 4}  # fmt: skip
    words = "river stone garden engine cloud forest signal letter market planet song bridge window metal".split()
    given = [{"prompt": f"How does a {w} work in daily life?",
              "responses": [f"A {w} works in daily life because a {w} does its job well.", "Cats like warm places."]}
             for w in words]  # fmt: skip
    candidates = tmp_path / "candidates.jsonl"
    candidates.write_text("".join(json.dumps(row) + "\n" for row in given))
    with ScriptedServer(props=props, delay=0.005) as server:
        argv = [a.replace("{candidates}", str(candidates)) for a in CLI_CASES[case]]
        argv += ["--base-url", server.url, "--concurrency", "4", "--quiet"]
        n = int(argv[2])
        reference = zygote.run("cli", tmp_path / "reference", {"argv": argv})
        assert reference.code == 0, reference.log
        ref_rows = assert_complete_run(tmp_path / "reference", n)
        for trial_number in range(CLI_TRIALS):
            seed = zlib.crc32(f"cli {case}".encode()) + trial_number
            moment = round(random.Random(seed).uniform(0, reference.seconds), 4)
            out = tmp_path / f"trial-{trial_number}"
            where = f"synthgen {case} --base-url: seed {seed}, SIGKILL at {moment} s of a {reference.seconds} s run"
            outcome = zygote.run("cli", out, {"argv": argv}, kill_after=moment)
            assert outcome.killed or outcome.code == 0, f"{where}: failed before the kill\n{outcome.log}"
            final = zygote.run("cli", out, {"argv": argv})
            assert final.code == 0, f"{where}: the rerun failed\n{final.log}"
            try:
                assert_complete_run(out, n, ref_rows)
            except AssertionError as exc:
                raise AssertionError(f"{where}: {exc}") from None


@pytest.mark.slow
def test_the_embedded_model_killed_twice_then_ctrl_c_then_rerun_finishes(tmp_path):
    """The real engine (llama.cpp, the embedded 135M model) through the console script: SIGKILL at a
    seeded moment after decoding began, twice, then Ctrl-C (out within STOP_S, one line saying how to
    resume), then a rerun that must finish with exactly n whole rows. One run's worth of model time."""
    out, n = tmp_path / "run", 4
    args = ["instructions", "--n", str(n), "--out", str(out), "--quiet"]
    seed = zlib.crc32(b"embedded model")
    rng = random.Random(seed)
    for step, signum in enumerate((signal.SIGKILL, signal.SIGKILL, signal.SIGINT)):
        pause = round(rng.uniform(0, 3.0), 3)
        where = f"embedded model, seed {seed}, step {step}: {signal.Signals(signum).name} {pause} s into the loop"
        proc = start(args)
        started = len(journal(out))
        # The manifest says "running" once the model is loaded and the loop starts (on a rerun, a new session entry).
        wait_until(lambda step=step: _sessions(out) > step, proc, seconds=300)
        time.sleep(pause)
        seconds, stderr = signal_and_time(proc, signum)
        if signum == signal.SIGKILL:
            assert proc.returncode in (-signal.SIGKILL, 0), f"{where}: exit {proc.returncode}\n{stderr}"
        else:
            assert_one_resume_line(proc, stderr, out, seconds, where)
            assert_stopped_cleanly(out)
        assert len(journal(out)) >= started, f"{where}: journaled attempts were lost"
    rerun = subprocess.run([SYNTHGEN, *args], capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr
    assert_complete_run(out, n)


def _sessions(out: Path) -> int:
    """How many sessions the manifest lists (the running one included)."""
    try:
        return len(json.loads((out / "manifest.json").read_text())["timing"]["sessions"])
    except (OSError, ValueError, KeyError):
        return 0
