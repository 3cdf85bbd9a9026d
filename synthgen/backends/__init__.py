"""Backends: in-process llama.cpp, and a deterministic fake for unit tests."""

from synthgen.backends.base import (
    Backend,
    Completion,
    GenerationRequest,
    Message,
    ModelInfo,
    SamplingParams,
)

__all__ = ["Backend", "Completion", "GenerationRequest", "Message", "ModelInfo", "SamplingParams"]
