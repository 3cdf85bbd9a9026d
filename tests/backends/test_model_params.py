"""llama.cpp model parameters: extra buffer types (AMX kernels, repacking) off where the CPU advertises AMX."""

from __future__ import annotations

from pathlib import Path

import llama_cpp

from synthgen.backends import llama_model
from synthgen.backends.llama_model import high_level_defaults, model_params


def test_extra_buffer_types_follow_the_cpu_and_the_override(monkeypatch):
    monkeypatch.delenv("SYNTHGEN_LLAMA_EXTRA_BUFFERS", raising=False)
    library_default = llama_cpp.llama_model_default_params().use_extra_bufts
    monkeypatch.setattr(llama_model, "amx_advertised", lambda: False)
    assert model_params().use_extra_bufts == library_default
    monkeypatch.setattr(llama_model, "amx_advertised", lambda: True)
    assert model_params().use_extra_bufts is False
    assert model_params(vocab_only=True).vocab_only is True
    monkeypatch.setenv("SYNTHGEN_LLAMA_EXTRA_BUFFERS", "1")
    assert model_params().use_extra_bufts == library_default


def test_high_level_llama_gets_the_same_parameters_and_the_library_is_restored(monkeypatch):
    import llama_cpp.llama_cpp as low

    monkeypatch.setattr(llama_model, "amx_advertised", lambda: True)
    monkeypatch.delenv("SYNTHGEN_LLAMA_EXTRA_BUFFERS", raising=False)
    original = low.llama_model_default_params
    with high_level_defaults():
        assert low.llama_model_default_params().use_extra_bufts is False
    assert low.llama_model_default_params is original


def test_amx_is_read_from_the_cpu_flags():
    cpuinfo = Path("/proc/cpuinfo")
    flags = [line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")] if cpuinfo.exists() else []
    assert llama_model.amx_advertised() == any("amx_tile" in line.split() for line in flags)
