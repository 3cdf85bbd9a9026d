"""The OpenAI-compatible HTTP backend: Ollama, llama-server, vLLM or any server speaking `/v1`.

Same batch-first contract and streaming feed as the in-process engine (backends/base.py), so
every command and the judge can run on a server fleet instead of a GGUF file in this process.
"""

from synthgen.backends.server.backend import ServerBackend
from synthgen.backends.server.options import ServerOptions

__all__ = ["ServerBackend", "ServerOptions"]
