"""synthgen: local, offline synthetic datasets for LLM post-training, on llama.cpp.

Public API (each CLI command has an equal function here):
    synthgen.instructions(n=..., out=..., ...) -> RunResult   # SFT instruction-response pairs
    synthgen.preferences(n=..., out=..., ...) -> RunResult    # DPO preference pairs (LLM judge)
    synthgen.math(n=..., out=..., ...) -> ProblemsResult      # verified math problems (GRPO)
    synthgen.logic(n=..., out=..., ...) -> ProblemsResult     # verified logic puzzles (GRPO)
    synthgen.verify_dataset(dir) -> VerifyReport              # re-check a math/logic run folder
    synthgen.export(dir, format, out, ...) -> ExportResult    # rows in another trainer's layout
    synthgen.info(dir) -> RunInfo                             # what a run folder holds, how it was made
    synthgen.merge([dir, ...], out) -> MergeResult            # runs of one kind in one folder, deduplicated
    synthgen.push(dir, repo_id, ...) -> PushResult            # publish a run folder to the Hub, one commit
    synthgen.ServerOptions(base_urls=[...], ...)              # run any command on OpenAI-compatible servers

Names are imported lazily so that `synthgen --help` does not pay for importing `datasets`.
"""

from typing import Any

__all__ = [
    "ProblemsResult",
    "RunResult",
    "ServerOptions",
    "SynthgenError",
    "VerifyReport",
    "__version__",
    "export",
    "info",
    "instructions",
    "logic",
    "math",
    "merge",
    "preferences",
    "push",
    "verify_dataset",
]


def __getattr__(name: str) -> Any:
    if name in ("instructions", "RunResult"):
        from synthgen.sft import api

        return getattr(api, name)
    if name == "preferences":
        from synthgen.dpo.api import preferences

        return preferences
    if name in ("math", "logic", "ProblemsResult"):
        from synthgen.grpo import api

        return getattr(api, name)
    if name in ("verify_dataset", "VerifyReport"):
        from synthgen.verify import verify_dir

        return getattr(verify_dir, name)
    if name == "export":
        from synthgen.publish.export import export

        return export
    if name == "info":
        from synthgen.publish.info import info

        return info
    if name == "merge":
        from synthgen.publish.merge import merge

        return merge
    if name == "push":
        from synthgen.publish.push import push

        return push
    if name == "ServerOptions":
        from synthgen.backends.server.options import ServerOptions

        return ServerOptions
    if name == "SynthgenError":
        from synthgen.errors import SynthgenError

        return SynthgenError
    if name == "__version__":
        from synthgen.run.versions import synthgen_version

        return synthgen_version()
    raise AttributeError(name)
