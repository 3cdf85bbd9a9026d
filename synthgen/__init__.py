"""synthgen: local, offline synthetic datasets for LLM post-training, on llama.cpp.

Public API (each CLI command has an equal function here):
    synthgen.instructions(n=..., out=..., ...) -> RunResult   # SFT instruction-response pairs

Names are imported lazily so that `synthgen --help` does not pay for importing `datasets`.
"""

from typing import Any

__all__ = ["RunResult", "SynthgenError", "__version__", "instructions"]


def __getattr__(name: str) -> Any:
    if name in ("instructions", "RunResult"):
        from synthgen import instructions_api

        return getattr(instructions_api, name)
    if name == "SynthgenError":
        from synthgen.errors import SynthgenError

        return SynthgenError
    if name == "__version__":
        from synthgen.versions import synthgen_version

        return synthgen_version()
    raise AttributeError(name)
