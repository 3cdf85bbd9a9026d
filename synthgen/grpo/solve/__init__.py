"""`--solve K`: the model attempts every problem; pass rates, the band, `--emit-sft` / `--emit-dpo`."""
