"""A loaded GGUF model through llama.cpp's low-level C API: load, tokenize, detokenize, template.

The batched engine needs what the high-level `Llama` object hides or gets wrong for batching
(several sequence ids per batch, per-sequence samplers), so it talks to the C API directly.
This module holds the model-level parts shared by every context built on the model.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from synthgen.backends.chat_template import split_at_user_content, template_env
from synthgen.backends.deferred_signals import Deferred, signals_between_steps
from synthgen.errors import SynthgenError

_BACKEND_READY = False


def file_type_name(value: str | int | None) -> str | None:
    """GGUF `general.file_type` as llama.cpp names it ("Q4_1", "Q8_0", "F16"), not its integer.

    The names come from llama-cpp-python's own LLAMA_FTYPE_* constants, so a type added to
    llama.cpp is named without a table here to update. Unknown values stay as their number.
    """
    if value is None or str(value).strip() == "":
        return None
    import llama_cpp

    try:
        number = int(value)
    except ValueError:
        return str(value)
    for attr in sorted(dir(llama_cpp)):
        if attr.startswith("LLAMA_FTYPE_") and attr != "LLAMA_FTYPE_GUESSED" and getattr(llama_cpp, attr) == number:
            return attr.removeprefix("LLAMA_FTYPE_").removeprefix("MOSTLY_").removeprefix("ALL_")
    return str(number)


def amx_advertised() -> bool:
    """True when the CPU flags in /proc/cpuinfo include AMX tiles (Linux; False elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            return any(line.startswith("flags") and " amx_tile" in line for line in handle)
    except OSError:
        return False


def model_params(vocab_only: bool = False):
    """llama.cpp model parameters for every model synthgen loads (the one place they are set).

    On a CPU that advertises AMX, llama.cpp's extra buffer types (its AMX kernels and weight
    repacking) are turned off: there its AMX matrix multiply died with a general protection
    fault at `ldtilecfg` on the first decode (docs/architecture.md), which killed the process
    without a message. SYNTHGEN_LLAMA_EXTRA_BUFFERS=1 turns them back on where they work.
    """
    import llama_cpp

    params = llama_cpp.llama_model_default_params()
    params.vocab_only = vocab_only
    if not vocab_only and os.environ.get("SYNTHGEN_LLAMA_EXTRA_BUFFERS") != "1" and amx_advertised():
        params.use_extra_bufts = False
    return params


@contextlib.contextmanager
def high_level_defaults() -> Iterator[None]:
    """Make llama-cpp-python's high-level `Llama` (tests, the benchmark's naive peer) load with `model_params()`."""
    import llama_cpp.llama_cpp as low

    original = low.llama_model_default_params
    low.llama_model_default_params = lambda: model_params()
    try:
        yield
    finally:
        low.llama_model_default_params = original


def gguf_meta(path: str | Path, keys: list[str]) -> dict[str, str | None]:
    """Metadata values of a GGUF file through a vocab-only load (milliseconds, no weights read)."""
    import llama_cpp

    params = model_params(vocab_only=True)
    with signals_between_steps(), quiet_stderr(True):  # a Ctrl-C in llama.cpp's log callback would be lost
        model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
    if not model:
        raise SynthgenError(f"model failed to load: {path}")
    try:
        return {key: _meta_value(llama_cpp, model, key) for key in keys}
    finally:
        llama_cpp.llama_model_free(model)


def _meta_value(lib, model, key: str) -> str | None:
    buf = ctypes.create_string_buffer(1 << 16)
    n = lib.llama_model_meta_val_str(model, key.encode(), buf, len(buf))
    return buf.value.decode("utf-8", "replace") if n >= 0 else None


@contextlib.contextmanager
def quiet_stderr(enabled: bool) -> Iterator[None]:
    """Silence llama.cpp's C-level logging (it writes to fd 2 directly)."""
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


LOAD_SLEEP_ENV = "SYNTHGEN_LLAMA_TEST_LOAD_SLEEP"  # test hook: seconds each load-progress call sleeps


def _load_progress(deliver: Deferred):
    """llama.cpp's model-load progress callback: go on unless a signal is waiting.

    A Python signal handler cannot run while the C load call runs (and one that runs inside
    llama.cpp's Python log callback is swallowed there), so a Ctrl-C or SIGTERM during the load
    of a large model used to wait for the whole load, or was lost. The signal is recorded
    (deferred_signals.py); llama.cpp calls this once per tensor, and False cancels the load.
    The test hook (LOAD_SLEEP_ENV) makes each call sleep, so the tests can hold the 135M model's
    millisecond load open long enough to signal it.
    """
    import llama_cpp

    sleep = float(os.environ.get(LOAD_SLEEP_ENV) or 0)

    def progress(fraction: float, user_data) -> bool:
        if sleep:
            time.sleep(sleep)
        return not deliver.pending

    return llama_cpp.llama_progress_callback(progress)


class LlamaModel:
    """Owns a `llama_model*` and its vocabulary; frees them when closed."""

    def __init__(self, path: str | Path, verbose: bool = False, vocab_only: bool = False):
        import llama_cpp

        global _BACKEND_READY
        self.lib = llama_cpp
        self.path = Path(path)
        self.verbose = verbose
        if not verbose:
            logging.getLogger("llama-cpp-python").setLevel(logging.CRITICAL)
        if not _BACKEND_READY:
            llama_cpp.llama_backend_init()
            _BACKEND_READY = True
        params = model_params(vocab_only)  # vocab-only: tokenizer and metadata, no weights
        self.model = None
        with signals_between_steps() as deliver, quiet_stderr(not verbose):
            params.progress_callback = keep_going = _load_progress(deliver)  # noqa: F841  alive during the load
            self.model = llama_cpp.llama_model_load_from_file(str(self.path).encode(), params)
            deliver()  # a Ctrl-C or SIGTERM during the load (which it cut short) acts here
        if not self.model:
            raise SynthgenError(f"model failed to load: {self.path} (llama.cpp could not read it)")
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.n_ctx_train = llama_cpp.llama_model_n_ctx_train(self.model)
        self.add_bos = bool(llama_cpp.llama_vocab_get_add_bos(self.vocab))
        self._piece = ctypes.create_string_buffer(256)
        self._env = template_env()
        self._template = None

    @property
    def kv_bytes_per_token(self) -> int:
        """Bytes of f16 K and V cache one token costs in one sequence: sizes the default --parallel."""
        lib = self.lib
        n_head = max(1, lib.llama_model_n_head(self.model))
        head_dim = lib.llama_model_n_embd(self.model) // n_head
        kv_width = head_dim * lib.llama_model_n_head_kv(self.model)
        return lib.llama_model_n_layer(self.model) * 2 * kv_width * 2

    def meta(self, key: str) -> str | None:
        """A GGUF metadata value as a string, or None."""
        return _meta_value(self.lib, self.model, key)

    @property
    def n_params(self) -> int:
        """Parameter count as llama.cpp reports it (`llama_model_n_params`), for the dataset card."""
        return int(self.lib.llama_model_n_params(self.model))

    def token_text(self, token: int) -> str:
        return self.piece(token, special=True).decode("utf-8", "replace")

    def tokenize(self, text: str, add_special: bool, parse_special: bool = True) -> list[int]:
        """Token ids of `text`, special tokens (e.g. <|im_start|>) parsed as such unless
        `parse_special` is False (a scored answer is text: "<|im_end|>" in it is not an end)."""
        data = text.encode("utf-8")
        capacity = len(data) + 16
        buf = (self.lib.llama_token * capacity)()
        n = self.lib.llama_tokenize(self.vocab, data, len(data), buf, capacity, add_special, parse_special)
        if n < 0:
            capacity = -n
            buf = (self.lib.llama_token * capacity)()
            n = self.lib.llama_tokenize(self.vocab, data, len(data), buf, capacity, add_special, parse_special)
        return list(buf[:n])

    @property
    def end_tokens(self) -> list[int]:
        """The tokens that end a turn (EOS and, where the vocabulary has one, EOT)."""
        ends = {self.lib.llama_vocab_eos(self.vocab), self.lib.llama_vocab_eot(self.vocab)}
        return sorted(t for t in ends if t >= 0)

    def piece(self, token: int, special: bool = False) -> bytes:
        """The bytes of one token (special tokens render empty unless `special`)."""
        n = self.lib.llama_token_to_piece(self.vocab, token, self._piece, len(self._piece), 0, special)
        if n < 0:
            bigger = ctypes.create_string_buffer(-n)
            n = self.lib.llama_token_to_piece(self.vocab, token, bigger, len(bigger), 0, special)
            return bigger.raw[:n]
        return self._piece.raw[:n]

    def is_eog(self, token: int) -> bool:
        return bool(self.lib.llama_vocab_is_eog(self.vocab, token))

    @property
    def chat_template(self) -> str | None:
        return self.meta("tokenizer.chat_template")

    def render_chat(self, messages: list[dict]) -> str:
        """Render messages with the GGUF's own chat template plus the generation prompt."""
        if self._template is None:
            source = self.chat_template
            if not source:
                raise SynthgenError(f"model {self.path.name} has no chat template; chat requests need one")
            self._template = self._env.from_string(source)
        return self._template.render(
            messages=messages,
            add_generation_prompt=True,
            bos_token=self.token_text(self.lib.llama_vocab_bos(self.vocab)),
            eos_token=self.token_text(self.lib.llama_vocab_eos(self.vocab)),
        )

    def chat_prefix(self) -> str:
        """The template's text before the first user message's content ("" if there is none)."""
        from synthgen.backends.base import ModelInfo

        info = ModelInfo(
            name=self.path.name,
            chat_template=self.chat_template,
            bos_token=self.token_text(self.lib.llama_vocab_bos(self.vocab)),
            eos_token=self.token_text(self.lib.llama_vocab_eos(self.vocab)),
        )
        try:
            return split_at_user_content(info)[0]
        except SynthgenError:
            return ""  # no usable template: every prompt is prefilled in full

    def close(self) -> None:
        if getattr(self, "model", None):
            self.lib.llama_model_free(self.model)
            self.model = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
