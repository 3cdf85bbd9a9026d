"""The table of bad inputs `test_input_matrix.py` runs: every command x every option.

Each case is (command, argv after the command, a fragment the one error line must contain).
Placeholders: {in} the folder of input files (test_input_matrix.inputs_folder), {out} an empty
output folder, {run} a finished `synthgen math` run folder. Generating commands get
`--out {out}/o` unless the case gives its own --out.
"""

from __future__ import annotations

URL = "http://127.0.0.1:9/v1"  # nothing listens on port 9: a case that connects fails its fragment check
BIG = str(10**12)
GEN = ("instructions", "preferences", "math", "logic")

# Options that accept any value of their type (free text, flags), so no value is bad input.
ANY_VALUE = {
    "instructions": {"--system-prompt", "--api-key-env", "--stream", "--overwrite", "--verbose",
                     "--quiet"},
    "preferences": {"--system-prompt", "--api-key-env", "--stream",
                    "--overwrite", "--verbose", "--quiet"},
    "math": {"--api-key-env", "--stream", "--overwrite", "--quiet"},
    "logic": {"--api-key-env", "--stream", "--overwrite", "--quiet"},
    "verify": set(),
    "export": {"--overwrite", "--allow-partial"},
    "info": {"--json"},
    "merge": {"--allow-partial", "--allow-mixed-models", "--overwrite"},
    "push": {"--private", "--revision", "--commit-message", "--create-pr", "--include-journal", "--allow-partial"},
}  # fmt: skip


def _bad_files(flag: str, what: str, extra: tuple[str, ...] = ()) -> list[tuple[list[str], str]]:
    """A file option given a missing file, one under a missing folder, a folder, an empty file,
    a non-UTF-8 file and a PNG: each refused naming the path."""
    cases = []
    for name in ("missing.txt", "nope/sub/x.txt", "adir", "empty.txt", "latin1.txt", "image.png"):
        if name in extra:
            continue
        cases.append(([flag, f"{{in}}/{name}"], name))
    return cases


def _generating_cases(cmd: str) -> list[tuple[list[str], str]]:
    """Bad values of the options every generating command shares (math and logic use a model or a
    server only with --solve, so their model and server cases carry it)."""
    cases: list[tuple[list[str], str]] = []
    solve = ["--solve", "2"] if cmd in ("math", "logic") else []
    for value in ("abc", "1.5", "0", "-3", BIG):
        cases.append((["--n", value], "--n"))
    cases += [
        (["--out", "{in}/topics.txt"], "topics.txt"),  # a file where the run folder goes
        (["--out", "{in}/topics.txt/o"], "topics.txt"),  # its parent is a file
    ]
    for value in ("abc", "0", "-1", BIG, "100000"):
        cases.append((["--parallel", value], "--parallel"))
    cases.append((["--convert", "q2_k"], "--convert"))
    for value in ("abc", "-1", "1.5"):
        cases.append((["--seed", value], "--seed"))
    # server options apply with --base-url: each is checked before any connection
    server = [*solve, "--base-url", URL]
    for value in ("ftp://x/v1", "not a url", ""):
        cases.append(([*solve, "--base-url", value], "--base-url"))
    cases.append(([*server, "--base-url", URL], "--base-url"))
    for value in ("abc", "0", "-2", BIG):
        cases.append(([*server, "--concurrency", value], "--concurrency"))
    for value in ("abc", "0", "-1", "nan", "inf"):
        cases.append(([*server, "--timeout", value], "--timeout"))
    for value in ("abc", "-1", BIG):
        cases.append(([*server, "--max-retries", value], "--max-retries"))
    cases.append(([*server, "--structured-output", "xml"], "--structured-output"))
    for args, fragment in _bad_files("--chat-template-from", "chat template"):
        cases.append(([*server, *args], fragment))
    cases.append(([*server, "--chat-template-from", "{in}/png.gguf"], "png.gguf"))
    cases.append(([*server, "--chat-template-from", "{in}/topics.txt"], "topics.txt"))  # text, not a template
    # server-only flags without a server would do nothing: refused
    cases += [([*solve, "--model-name", "x"], "--model-name"), ([*solve, "--chat-template-from", "{in}/t.jinja"],
              "--chat-template-from")]  # fmt: skip
    # a later refusal must also remove the folders the --out check created
    cases.append(([*solve, "--out", "{out}/deep/er/o", "--model", "{in}/missing.txt"], "missing.txt"))
    # shards
    for value in ("abc", "-1", "2"):
        cases.append((["--shard-index", value, "--num-shards", "2"], "--shard-index"))
    cases.append((["--shard-index", "0"], "--shard-index"))
    for value in ("abc", "0", "-1", BIG):
        cases.append((["--num-shards", value], "--num-shards"))
    cases.append((["--num-shards", "2", "--executor", "slurm"], "--executor"))
    cases.append((["--n", "2", "--num-shards", "5"], "--num-shards"))
    return cases


def _model_cases(prefix: list[str]) -> list[tuple[list[str], str]]:
    cases = [([*prefix, *args], fragment) for args, fragment in _bad_files("--model", "model")]
    cases += [([*prefix, "--model", "{in}/png.gguf"], "png.gguf"), ([*prefix, "--model", "{in}/empty.gguf"], "empty")]
    return cases


def _instructions_cases() -> list[tuple[list[str], str]]:
    cases = _generating_cases("instructions") + _model_cases([])
    cases += [(["--method", "evol"], "--method"), (["--method", ""], "--method")]
    cases += _bad_files("--topics", "topics")
    cases += [(["--prompts", "{in}/missing"], "missing"), (["--prompts", "{in}/topics.txt"], "topics.txt"),
              (["--prompts", "{in}/latin1-prompts"], "self_instruct.txt"),
              (["--prompts", "{in}/empty-prompts"], "self_instruct.txt"),
              (["--prompts", "{in}/nope/sub"], "nope")]  # fmt: skip
    for value in ("abc", "nan", "inf", "-inf"):
        cases.append((["--min-relevance", value], "--min-relevance"))
    for value in ("abc", "0", "-1", BIG):
        cases.append((["--batch-size", value], "--batch-size"))
    return cases


def _source_cases(flag: str) -> list[tuple[list[str], str]]:
    """--prompts-from / --candidates-from: unreadable files and wrong formats."""
    cases = _bad_files(flag, "source")
    for name in ("noise.parquet", "noise.jsonl", "image.parquet", "empty.jsonl", "empty.parquet"):
        cases.append(([flag, f"{{in}}/{name}"], name))
    return cases


def _preferences_cases() -> list[tuple[list[str], str]]:
    cases = _generating_cases("preferences") + _model_cases([])
    cases += [([a.replace("--model", "--judge-model"), b], f) for (a, b), f in _model_cases([])]
    cases += _source_cases("--prompts-from") + _source_cases("--candidates-from")
    cases += [
        (["--prompts-from", "{in}/prompts.jsonl", "--prompt-column", "nope"], "nope"),
        (["--prompt-column", "text"], "--prompt-column"),
        (["--responses-column", "answers"], "--responses-column"),
        (["--candidates-from", "{in}/candidates.jsonl", "--responses-column", "nope"], "nope"),
        (["--candidates-from", "{in}/candidates.jsonl", "--prompts-from", "{in}/prompts.jsonl"], "--prompts-from"),
        (["--candidates-from", "{in}/candidates.jsonl", "--candidates-mode", "contrast"], "--candidates-mode"),
        (["--candidates-from", "{in}/candidates.jsonl", "--candidates", "3"], "--candidates"),
        (["--candidates-mode", "given"], "--candidates-from"),
        (["--candidates-mode", "contrast", "--candidates", "3"], "--candidates"),
        (["--candidates-mode", "vote"], "--candidates-mode"),
        (["--judge", "gpt"], "--judge"),
        (["--strategy", "worst-best"], "--strategy"),
        (["--export", "kto"], "--export"),
        (["--prompts", "{in}/topics.txt"], "topics.txt"),
        (["--prompts", "{in}/missing"], "missing"),
        (["--prompts", "{in}/empty-prompts"], "self_instruct.txt"),
    ]
    for value in ("abc", "0", "1", "-1", BIG):
        cases.append((["--candidates", value], "--candidates"))
    for value in ("abc", "-1", "nan", "inf"):
        cases.append((["--likelihood-margin", value], "--likelihood-margin"))
        cases.append((["--min-margin", value], "--min-margin"))
    for value in ("abc", "-1", "1.5"):
        cases.append((["--control-every", value], "--control-every"))
    for value in ("abc", "0", "-1", BIG):
        cases.append((["--batch-size", value], "--batch-size"))
    for value in ("ftp://x/v1", "not a url"):
        cases.append((["--judge-base-url", value], "--judge-base-url"))
    cases += [(["--judge-model-name", "x"], "--judge-model-name"),
              (["--judge-base-url", URL, "--judge-model", "{in}/png.gguf"], "--judge-model")]  # fmt: skip
    return cases


def _problems_cases(cmd: str) -> list[tuple[list[str], str]]:
    cases = _generating_cases(cmd) + _model_cases(["--solve", "2"])
    cases += [
        (["--families", "nonsense"], "nonsense"),
        (["--families", ","], "--families"),
        (["--families", "knights" if cmd == "math" else "algebra"], "--families"),
        (["--source", "web"], "--source"),
        (["--exclude", "{in}/missing"], "missing"),
        (["--exclude", "{in}/topics.txt"], "topics.txt"),
        (["--exclude", "{in}/adir"], "adir"),
        (["--exclude", "{in}/bad-manifest"], "bad-manifest"),
        (["--keep-pass-rate", "0.1-0.9"], "--solve"),
        (["--emit-sft", "{out}/sft"], "--solve"),
        (["--emit-dpo", "{out}/dpo"], "--solve"),
        (["--solve", "2", "--emit-sft", "{in}/topics.txt"], "topics.txt"),
        (["--solve", "2", "--emit-dpo", "{in}/topics.txt/x"], "topics.txt"),
        (["--solve", "2", "--emit-sft", "{out}/o"], "--emit-sft"),
        (["--solve", "2", "--emit-sft", "{out}/same", "--emit-dpo", "{out}/same"], "--emit-dpo"),
        (["--solve", "2", "--emit-sft", "{out}/s", "--num-shards", "2"], "--num-shards"),
        (["--base-url", URL], "--base-url"),  # procedural problems use no model: refused, not ignored
        (["--model", "{in}/png.gguf"], "--model"),
    ]
    for value in ("abc", "1.5", "x-y", "0.9-0.1", "-1-0.5", "0-2", "nan-1"):
        cases.append((["--solve", "2", "--keep-pass-rate", value], "--keep-pass-rate"))
    for value in ("0", "6", "a-b", "3-1", "", BIG, "1,,2"):
        cases.append((["--difficulty", value], "--difficulty"))
    for value in ("abc", "0", "-1", BIG):
        cases.append((["--solve", value], "--solve"))
    for value in ("abc", "-1", "nan", "inf"):
        cases.append((["--solve", "2", "--solve-temperature", value], "--solve-temperature"))
    for value in ("abc", "0", "-1", BIG):
        cases.append((["--solve", "2", "--solve-max-tokens", value], "--solve-max-tokens"))
    if cmd == "math":
        cases += [(["--source", "model", *args], f) for args, f in _bad_files("--topics", "topics")]
        cases += [(["--topics", "{in}/topics.txt"], "--topics"),
                  (["--word-problems", "--families", "counting"], "--word-problems")]  # fmt: skip
        for value in ("abc", "0", "-1"):
            cases.append((["--source", "model", "--max-attempts", value], "--max-attempts"))
    return cases


def _reader_cases(cmd: str) -> list[tuple[list[str], str]]:
    """A folder argument that is missing, a file, empty, not a run, or a PNG."""
    tail = {"export": ["--format", "openai", "--out", "{out}/x.jsonl"], "push": ["--repo-id", "me/data"]}.get(cmd, [])
    folders = [("{in}/missing", "missing"), ("{in}/nope/sub", "nope"), ("{in}/topics.txt", "topics.txt"),
               ("{in}/adir", "adir"), ("{in}/image.png", "image.png"), ("{in}/bad-manifest", "bad-manifest"),
               ("{in}/noise-run", "noise-run")]  # fmt: skip
    return [([folder, *tail], fragment) for folder, fragment in folders]


def _publish_cases() -> dict[str, list[tuple[list[str], str]]]:
    export = _reader_cases("export") + [
        (["{run}", "--format", "csv", "--out", "{out}/x.jsonl"], "--format"),
        (["{run}", "--format", "alpaca", "--out", "{out}/x.jsonl"], "alpaca"),  # an SFT layout for GRPO rows
        (["{run}", "--format", "openai", "--out", "{in}/topics.txt"], "topics.txt"),
        (["{run}", "--format", "openai", "--out", "{in}/topics.txt/x.jsonl"], "topics.txt"),
        (["{run}", "--format", "openai", "--out", "{out}/nope/x.jsonl"], "nope"),
        (["{run}", "--format", "trl", "--out", "{run}"], "--out"),
    ]
    for value in ("abc", "-0.1", "1", "1.5", "nan", "inf"):
        export.append((["{run}", "--format", "openai", "--out", "{out}/x.jsonl", "--test-size", value], "--test-size"))
    merge = [([folder, "--out", "{out}/m"], fragment) for (folder,), fragment in
             ((a[:1], f) for a, f in _reader_cases("merge"))]  # fmt: skip
    merge += [
        (["{run}", "--out", "{run}"], "--out"),
        (["{run}", "--out", "{in}/topics.txt"], "topics.txt"),
        (["{run}", "--out", "{in}/topics.txt/m"], "topics.txt"),
        (["{run}", "{in}/image.png", "--out", "{out}/m"], "image.png"),
    ]
    push = _reader_cases("push")
    for value in ("noslash", "a/b/c", "", "../x", "a/" + "b" * 200):
        push.append((["{run}", "--repo-id", value], "--repo-id"))
    for value in ("abc", "-0.1", "1", "nan", "inf"):
        push.append((["{run}", "--repo-id", "me/data", "--test-size", value], "--test-size"))
    for value in ("abc", "0", "-1", "nan", "inf"):
        push.append((["{run}", "--repo-id", "me/data", "--timeout", value], "--timeout"))
    return {
        "verify": [([f], frag) for (f,), frag in ((a[:1], f) for a, f in _reader_cases("verify"))],
        "export": export,
        "info": [([f], frag) for (f,), frag in ((a[:1], f) for a, f in _reader_cases("info"))],
        "merge": merge,
        "push": push,
    }


def _all_cases() -> list[tuple[str, list[str], str]]:
    table: dict[str, list[tuple[list[str], str]]] = {
        "instructions": _instructions_cases(),
        "preferences": _preferences_cases(),
        "math": _problems_cases("math"),
        "logic": _problems_cases("logic"),
        **_publish_cases(),
    }
    cases = []
    for cmd, rows in table.items():
        for args, fragment in rows:
            if cmd in GEN and "--out" not in args:
                args = [*args, "--out", "{out}/o"]
            cases.append((cmd, args, fragment))
    return cases


CASES = _all_cases()
