"""Arrow column types every dataset kind shares.

A conversation column (`messages`, `prompt`, `chosen`, `rejected`) is a list of
{"role", "content"} string pairs in every TRL conversational format, so it is declared once.
"""

from __future__ import annotations

from datasets import List, Value

MESSAGES = List({"role": Value("string"), "content": Value("string")})
