"""Model-based problem sources: `--source model|mix` (the model proposes) and `--word-problems`."""
