"""Per-sequence sampling for the batched engine, with cheap grammar constraints.

Each sequence gets its own native sampler chain (top-k -> penalties -> top-p -> min-p ->
temperature -> seeded dist), so its tokens depend on its own seed only. A JSON grammar is
applied the way llama.cpp's own `common_sampler_sample` does it: sample freely, check just the
sampled token against the grammar, and only if it is rejected resample from the full vocabulary
with the grammar applied first. That costs a small fraction of putting the grammar at the front of
the chain, as llama-cpp-python's high-level API does (docs/architecture.md).
"""

from __future__ import annotations

import ctypes

import numpy as np

from synthgen.backends.base import SamplingParams

TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
PENALTY_LAST_N = 64
SHORTLIST = 64  # candidates checked against a grammar before falling back to the whole vocabulary


class SequenceSampler:
    """Samples the tokens of one sequence; `close()` frees the native samplers."""

    def __init__(self, lib, model, params: SamplingParams, seed: int, grammar: str | None):
        self.lib = lib
        self.model = model
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        penalties = params.repeat_penalty != 1.0
        greedy = params.temperature <= 0
        if not greedy and params.top_k > 0:
            # top-k first: the penalty sampler then looks at k candidates instead of the whole
            # vocabulary (a measurable share of a step on a 49k vocabulary). A
            # penalty only lowers logits, so this changes only which token fills a freed top-k
            # place, and top-p/min-p prune that tail anyway.
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_k(params.top_k))
        if penalties:
            lib.llama_sampler_chain_add(
                chain,
                lib.llama_sampler_init_penalties(model.n_vocab, PENALTY_LAST_N, params.repeat_penalty, 0.0, 0.0),
            )
        if greedy:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
        else:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_p(params.top_p, 1))
            if params.min_p > 0:
                lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_min_p(params.min_p, 1))
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_temp(params.temperature))
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        self.chain = chain
        self.grammar = None
        if grammar is not None:
            self.grammar = lib.llama_sampler_init_grammar(model.vocab, grammar.encode(), b"root")
            if not self.grammar:
                lib.llama_sampler_free(chain)
                raise ValueError("llama.cpp rejected the grammar")
        self.candidates = np.zeros(model.n_vocab, dtype=TOKEN_DATA)
        self.candidates["id"] = np.arange(model.n_vocab, dtype=np.int32)
        self.single = np.zeros(1, dtype=TOKEN_DATA)
        self.resamples = 0

    def _array(self, data: np.ndarray):
        return self.lib.llama_token_data_array(
            data=data.ctypes.data_as(self.lib.llama_token_data_p), size=len(data), selected=-1, sorted=False
        )

    def _from_logits(self, logits_ptr) -> tuple[np.ndarray, object]:
        logits = np.ctypeslib.as_array(logits_ptr, shape=(self.model.n_vocab,))
        cand = self.candidates
        cand["id"] = np.arange(self.model.n_vocab, dtype=np.int32)
        cand["logit"] = logits
        cand["p"] = 0.0
        return cand, self._array(cand)

    def sample(self, ctx, row: int) -> int:
        """Draw the next token from the logits at batch row `row`, honouring the grammar.

        The common path is one native call (`llama_sampler_sample` applies the chain to the
        logits in C and accepts the token). Only a grammar rejection builds the full candidate
        array in numpy, applies grammar then chain, and accepts the replacement too; the
        rejected draw has then also entered the penalty history, a negligible bias that saves a
        Python-side copy of the vocabulary on every token.
        """
        lib = self.lib
        token = int(lib.llama_sampler_sample(self.chain, ctx, row))
        if self.grammar is None:
            return token
        self.single[0] = (token, 1.0, 0.0)
        one = self._array(self.single)
        lib.llama_sampler_apply(self.grammar, ctypes.byref(one))
        if not np.isfinite(self.single["logit"][0]):
            self.resamples += 1
            token = self._resample(lib.llama_get_logits_ith(ctx, row))
            lib.llama_sampler_accept(self.chain, token)
        lib.llama_sampler_accept(self.grammar, token)
        return token

    def _resample(self, logits_ptr) -> int:
        """Draw again with the grammar applied first: from a shortlist if it allows any, else all.

        Checking the whole vocabulary against the grammar costs a sizeable share of a whole
        decode step. The tokens a rejected draw needs instead (a
        quote, a comma, a brace) are almost always among the most likely ones, so the
        grammar is first applied to the SHORTLIST highest logits only; the chain then samples
        from those the grammar allows. Only if none is allowed does it check the whole
        vocabulary. The draw can differ from a full-vocabulary one only when fewer than top-k
        allowed tokens are in the shortlist, and then only by tokens ranked below the 64 most
        likely, which top-p and min-p almost always prune.
        """
        lib = self.lib
        cand, arr = self._from_logits(logits_ptr)
        top = np.argpartition(cand["logit"], -SHORTLIST)[-SHORTLIST:]
        short = cand[top]
        short_arr = self._array(short)
        lib.llama_sampler_apply(self.grammar, ctypes.byref(short_arr))
        if np.isfinite(short["logit"]).any():
            lib.llama_sampler_apply(self.chain, ctypes.byref(short_arr))
            return int(short["id"][short_arr.selected])
        lib.llama_sampler_apply(self.grammar, ctypes.byref(arr))
        lib.llama_sampler_apply(self.chain, ctypes.byref(arr))
        return int(cand["id"][arr.selected])

    def close(self) -> None:
        if self.chain:
            self.lib.llama_sampler_free(self.chain)
            self.chain = None
        if self.grammar:
            self.lib.llama_sampler_free(self.grammar)
            self.grammar = None
