"""Run llama-cpp-python's OpenAI-compatible server with synthgen's model parameters.

`python tests/openai_server/launch_llama_cpp.py --model FILE --port N ...` takes the same
arguments as `python -m llama_cpp.server`. The one difference: the model loads with
synthgen's `model_params()`, which keeps llama.cpp off its AMX kernels on CPUs where they
crash (docs/architecture.md); unpatched, the server died on its first request there.
"""

import sys

import llama_cpp.llama_cpp as low

from synthgen.backends.llama_model import model_params

low.llama_model_default_params = lambda: model_params()

if __name__ == "__main__":
    from llama_cpp.server.__main__ import main

    sys.argv[0] = "llama_cpp.server"
    main()
