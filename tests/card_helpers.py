"""Helpers for reading dataset cards in tests: a fake with a real-looking model file, table cells."""

from __future__ import annotations

import hashlib

from synthgen.backends.base import ModelInfo
from synthgen.backends.fake import FakeBackend


class FileBackend(FakeBackend):
    """A fake whose model_info looks like a real GGUF's: quantization, parameters, licence, a Q8_0 copy."""

    def __init__(self, responder=None, license: str | None = "Apache-2.0", name: str = "tiny.Q4_1.gguf"):
        super().__init__(responder)
        self.license, self.name = license, name

    def model_info(self) -> ModelInfo:
        sha = hashlib.sha256(self.name.encode()).hexdigest()
        extra = {"run_file": "tiny.q8_0.gguf", "run_file_sha256": "c" * 64, "quantization": "Q4_1",
                 "run_quantization": "Q8_0", "n_params": 134_515_008, "license": self.license,
                 "architecture": "llama"}  # fmt: skip
        return ModelInfo(
            name=self.name, sha256=sha, chat_template=self.chat_template, eos_token="<|im_end|>", extra=extra
        )


def table_rows(card: str, header: str) -> list[list[str]]:
    """The cells of the markdown table whose header row starts with `header`."""
    lines = card.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows
