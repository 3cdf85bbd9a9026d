"""What one llama_decode step costs, by KV length and by batch composition (run on demand).

The throughput benchmark says how far `synthgen instructions` is from the raw batched ceiling;
this says why, with the parts measured in one process at one moment:

    python benchmarks/step_cost.py

1. a pure 16-wide generation step (one token per sequence) at 50 to 600 tokens of KV per
   sequence: attention over the KV is a large share of a step on a small CPU;
2. the same step with prompt chunks beside it, adjacent or not: with one KV stream per sequence
   llama.cpp cuts a batch into micro-batches of consecutive sequence ids with equal token counts,
   so each chunk (and each gap in the sequence ids) costs a micro-batch of its own;
3. a step by width: on some machines widths that are multiples of 8 are cheaper than the widths
   just below them, on others a step costs about its width (synthgen/backends/step_layout.py does
   not pad: see docs/architecture.md, "Measured design notes").
4. what the abort callback costs (llama_batched.py sets one so that Ctrl-C ends a long step at
   once): llama.cpp calls it from C between graph nodes, each call a trip into Python; steps with
   and without it are timed in alternating rounds (`python benchmarks/step_cost.py --abort`).
"""

from __future__ import annotations

import statistics
import sys
import time

import llama_cpp as lib
from throughput import raw_context

from synthgen.backends.llama_model import LlamaModel
from synthgen.backends.model_convert import runnable_model
from synthgen.backends.model_file import embedded_model_path

WIDTH = 16
REPEATS = 15


class Stepper:
    """A context with WIDTH sequences whose KV can be filled to a length and stepped from there."""

    def __init__(self, model: LlamaModel):
        self.ctx = raw_context(model, WIDTH, 512)
        self.memory = lib.llama_get_memory(self.ctx)
        self.batch = lib.llama_batch_init(512, 0, 1)
        self.length = 0

    def _add(self, n: int, token: int, pos: int, seq: int, logits: bool) -> int:
        b = self.batch
        b.token[n], b.pos[n], b.n_seq_id[n], b.seq_id[n][0], b.logits[n] = token, pos, 1, seq, logits
        return n + 1

    def fill(self, length: int) -> None:
        """Grow every sequence's KV to `length` tokens."""
        for s in range(WIDTH):
            n = 0
            for k in range(self.length, length):
                n = self._add(n, 100 + k % 3000, k, s, False)
            self.batch.n_tokens = n
            assert lib.llama_decode(self.ctx, self.batch) == 0
        self.length = length

    def step_ms(self, chunks: dict[int, int] | None = None, idle: frozenset[int] = frozenset()) -> float:
        """Median ms of one step: `chunks[s]` tokens for sequence s (default 1), none for `idle`."""
        chunks = chunks or {}
        times = []
        for _ in range(REPEATS):
            n = 0
            for s in range(WIDTH):
                if s in idle:
                    continue
                count = chunks.get(s, 1)
                for k in range(count):
                    n = self._add(n, 200 + k, self.length + k, s, k == count - 1)
            self.batch.n_tokens = n
            started = time.perf_counter()
            assert lib.llama_decode(self.ctx, self.batch) == 0
            times.append(time.perf_counter() - started)
            for s in range(WIDTH):
                lib.llama_memory_seq_rm(self.memory, s, self.length, -1)
        return 1000 * statistics.median(times)

    def close(self) -> None:
        lib.llama_batch_free(self.batch)
        lib.llama_free(self.ctx)


def abort_callback_cost(model: LlamaModel, rounds: int = 7) -> None:
    """Section 4: a 16-wide step at KV 200, and a 64-token prompt chunk beside it, with the abort
    callback on and off in alternating rounds; the ratio of medians and the calls per step."""
    stepper = Stepper(model)
    stepper.fill(200)
    calls = [0]

    def asked(data) -> bool:
        calls[0] += 1
        return False

    callback = lib.ggml_abort_callback(asked)
    for label, chunks in (("generation step", {}), ("step with a 64-token prompt chunk", {5: 64})):
        on, off = [], []
        for _ in range(rounds):
            lib.llama_set_abort_callback(stepper.ctx, callback, None)
            calls[0] = 0
            on.append(stepper.step_ms(chunks))
            per_step = calls[0] / REPEATS
            lib.llama_set_abort_callback(stepper.ctx, lib.ggml_abort_callback(0), None)
            off.append(stepper.step_ms(chunks))
        a, b = statistics.median(on), statistics.median(off)
        print(f"  {label:36s} with {a:5.2f} ms, without {b:5.2f} ms: x{a / b:.3f} ({per_step:.0f} calls per step)")
    stepper.close()


def main() -> None:
    model = LlamaModel(runnable_model(embedded_model_path(), "auto", embedded=True))
    if "--abort" in sys.argv:
        print("abort callback (llama_batched.py), at KV 200, 16 sequences:")
        abort_callback_cost(model)
        model.close()
        return
    stepper = Stepper(model)
    print(f"pure {WIDTH}-wide generation step, by KV tokens per sequence:")
    for length in (50, 100, 200, 300, 400, 600):
        stepper.fill(length)
        print(f"  KV {length:4d}: {stepper.step_ms():5.1f} ms")
    stepper.close()
    stepper = Stepper(model)
    stepper.fill(200)
    print(f"\nat KV 200, {WIDTH} generating sequences plus:")
    cases = {
        "nothing": ({}, frozenset()),
        "one prompt chunk of 2 tokens": ({5: 2}, frozenset()),
        "one prompt chunk of 6 tokens": ({5: 6}, frozenset()),
        "one prompt chunk of 16 tokens": ({5: 16}, frozenset()),
        "one prompt chunk of 64 tokens": ({5: 64}, frozenset()),
        "two 16-token chunks, adjacent sequences": ({5: 16, 6: 16}, frozenset()),
        "two 16-token chunks, sequences 3 and 9": ({3: 16, 9: 16}, frozenset()),
        "nothing, but sequences 3, 7 and 11 idle (gaps)": ({}, frozenset({3, 7, 11})),
        "nothing, but sequences 13-15 idle (no gap)": ({}, frozenset({13, 14, 15})),
    }
    for label, (chunks, idle) in cases.items():
        print(f"  {label:48s} {stepper.step_ms(chunks, idle):5.1f} ms")
    print("\nat KV 200, a step of w consecutive sequences (llama.cpp's Q8_0 kernels take rows 8 at a time):")
    widths = [f"{w}: {stepper.step_ms({}, frozenset(range(w, WIDTH))):.1f}" for w in range(1, WIDTH + 1)]
    print("  " + ", ".join(widths) + " ms")
    stepper.close()
    model.close()


if __name__ == "__main__":
    main()
