"""llama.cpp's own grammar parser and sampler as a test oracle, on the embedded model's vocabulary.

Shared by the grammar tests (backends) and the judge tests (dpo); the `vocab_model` fixture is in conftest.py.
"""

from __future__ import annotations

import ctypes
import math

import llama_cpp


def _sampler(model, gbnf: str):
    return llama_cpp.llama_sampler_init_grammar(model.vocab, gbnf.encode(), b"root")


def parses(model, gbnf: str) -> bool:
    sampler = _sampler(model, gbnf)
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


def _tokens(model, text: str) -> list[int]:
    return model.tokenize(text.encode("utf-8"), add_bos=False, special=False)


def representable(model, text: str) -> bool:
    """The vocabulary can spell `text` (some control bytes have no token and are dropped)."""
    return model.detokenize(_tokens(model, text)) == text.encode("utf-8")


def accepts(model, gbnf: str, text: str) -> bool:
    """True if llama.cpp's grammar sampler lets the model emit exactly `text` and then stop."""
    assert representable(model, text), f"the vocabulary cannot spell {text!r}"
    sampler = _sampler(model, gbnf)
    assert sampler, "grammar failed to parse"
    eos = llama_cpp.llama_vocab_eos(model.vocab)
    try:
        for token in _tokens(model, text) + [eos]:
            cell = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
            array = llama_cpp.llama_token_data_array(cell, 1, -1, False)
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(array))
            if math.isinf(cell[0].logit):
                return False
            if token != eos:
                llama_cpp.llama_sampler_accept(sampler, token)
        return True
    finally:
        llama_cpp.llama_sampler_free(sampler)
