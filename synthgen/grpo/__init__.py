"""`synthgen math` / `synthgen logic`: verified problems as GRPO rows (TRL prompt-only format).

`sourcing/` holds the model-based problem sources (`--source model|mix`, `--word-problems`),
`solve/` the `--solve K` stage and the datasets it emits (`--emit-sft`, `--emit-dpo`).
"""
