"""In-process llama.cpp backend (llama-cpp-python), one sequence at a time.

This is the simple, correct baseline behind the batch-first contract: requests are decoded one by
one through the high-level API, each from a clean state (`reset()`), so a completion is a pure
function of its request (messages, params, schema, seed) and never of what ran before it. That
is what makes a resumed run reproduce an uninterrupted one. Batched multi-sequence decoding is a
later drop-in behind the same `generate(list) -> list` method.

Settings measured on a 2-core machine (shared/reference/llamacpp.md): n_threads defaults to 1 in
llama-cpp-python, which halves speed, so both thread counts are set to the core count; flash
attention is on. Structured output uses our own GBNF (synthgen.json_grammar) passed as `grammar`,
because llama-cpp-python silently ignores the OpenAI `json_schema` response_format spelling.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from synthgen.backends.base import Completion, GenerationRequest, ModelInfo
from synthgen.errors import SynthgenError
from synthgen.json_grammar import schema_to_gbnf
from synthgen.model_file import file_sha256


@contextlib.contextmanager
def _quiet_stderr(enabled: bool) -> Iterator[None]:
    """Silence llama.cpp's C-level logging (it writes to fd 2 directly) while loading."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class LlamaCppBackend:
    """Runs a GGUF model in process through llama-cpp-python."""

    def __init__(
        self,
        model_path: str | Path,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        verbose: bool = False,
    ):
        import llama_cpp  # imported here so `synthgen --help` stays fast

        self.model_path = Path(model_path)
        self.n_threads = n_threads or os.cpu_count() or 1
        self.n_ctx = n_ctx
        self._grammars: dict[str, object] = {}
        self._llama_cpp = llama_cpp
        if not verbose:
            logging.getLogger("llama-cpp-python").setLevel(logging.CRITICAL)
        try:
            with _quiet_stderr(not verbose):
                self.llm = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=n_ctx,
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads,
                    flash_attn=True,
                    verbose=verbose,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise SynthgenError(f"model failed to load: {self.model_path} ({exc})") from None
        self._info: ModelInfo | None = None

    def model_info(self) -> ModelInfo:
        if self._info is None:
            meta = self.llm.metadata
            special = {"special": True}
            bos = self.llm.detokenize([self.llm.token_bos()], **special).decode("utf-8", "replace")
            eos = self.llm.detokenize([self.llm.token_eos()], **special).decode("utf-8", "replace")
            self._info = ModelInfo(
                name=self.model_path.name,
                path=str(self.model_path),
                sha256=file_sha256(self.model_path),
                size_bytes=self.model_path.stat().st_size,
                chat_template=meta.get("tokenizer.chat_template"),
                bos_token=bos,
                eos_token=eos,
                add_bos_token=bool(self.llm._model.add_bos_token()),
                extra={
                    "backend": "llama-cpp-python",
                    "llama_cpp_python": self._llama_cpp.__version__,
                    "architecture": meta.get("general.architecture"),
                    "file_type": meta.get("general.file_type"),
                    "n_ctx": self.n_ctx,
                    "n_threads": self.n_threads,
                    "flash_attn": True,
                },
            )
        return self._info

    def _grammar(self, schema: dict):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = self._llama_cpp.LlamaGrammar.from_string(schema_to_gbnf(schema), verbose=False)
        return self._grammars[key]

    def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        return [self._one(r) for r in requests]

    def _one(self, request: GenerationRequest) -> Completion:
        p = request.params
        kwargs = dict(
            max_tokens=p.max_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            top_k=p.top_k,
            min_p=p.min_p,
            repeat_penalty=p.repeat_penalty,
            stop=p.stop or None,
            seed=request.seed,
            grammar=self._grammar(request.json_schema) if request.json_schema else None,
        )
        self.llm.reset()  # no KV reuse across requests: output depends on this request only
        try:
            if request.messages is not None:
                messages = [m.model_dump() for m in request.messages]
                result = self.llm.create_chat_completion(messages=messages, **kwargs)
                text = result["choices"][0]["message"]["content"] or ""
            else:
                result = self.llm.create_completion(prompt=request.prompt, **kwargs)
                text = result["choices"][0]["text"]
        except ValueError as exc:  # e.g. "Requested tokens (5000) exceed context window of 4096"
            return Completion(finish_reason="error", error=str(exc))
        usage = result["usage"]
        reason = result["choices"][0].get("finish_reason") or "stop"
        return Completion(
            text=text,
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            finish_reason="length" if reason == "length" else "stop",
        )
