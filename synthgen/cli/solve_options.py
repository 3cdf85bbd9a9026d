"""The `--solve` family of options shared by `synthgen math` and `synthgen logic`, and its summary.

Numbers are validated by the API (one-line error, exit 2), not by typer ranges, whose errors
print a usage box.
"""

from __future__ import annotations

from typing import Any

import typer


def solve_cli_options() -> dict[str, Any]:
    """typer options for --solve, --keep-pass-rate, --emit-sft/--emit-dpo, sampling and the model."""
    return dict(
        solve=typer.Option(
            None,
            "--solve",
            help="The model attempts each problem K times (batched); each attempt is scored by the reward "
            "function (synthgen.rewards) and the row's pass_rate = correct / K (pass_rate_k = K).",
        ),
        keep_pass_rate=typer.Option(
            None,
            "--keep-pass-rate",
            help="With --solve: keep only problems whose pass rate is in LO-HI (inclusive), e.g. 0.1-0.9; "
            "problems every attempt solves, or none, teach GRPO nothing. Still exactly --n rows.",
        ),
        emit_sft=typer.Option(
            None,
            "--emit-sft",
            help="With --solve: also write the verified-correct attempts as an SFT dataset folder "
            "(TRL conversational 'messages'; rejection sampling).",
        ),
        emit_dpo=typer.Option(
            None,
            "--emit-dpo",
            help="With --solve: also write verified-correct vs verified-wrong attempts of the same problem "
            "as a DPO dataset folder (TRL prompt/chosen/rejected). No judge: correctness is the signal.",
        ),
        solve_temperature=typer.Option(
            1.0, "--solve-temperature", help="Sampling temperature of the attempts (GRPOTrainer's default 1.0)."
        ),
        solve_max_tokens=typer.Option(
            256,
            "--solve-max-tokens",
            help="Token budget per attempt (GRPOTrainer's default max_completion_length); a cut-off attempt "
            "usually has no answer.",
        ),
        model=typer.Option(
            None,
            "--model",
            help="GGUF model file for --solve. Default: env SYNTHGEN_MODEL, else the embedded SmolLM2-135M-Instruct.",
        ),
        parallel=typer.Option(16, "--parallel", help="Sequences llama.cpp decodes at once."),
        convert=typer.Option(
            "auto",
            "--convert",
            help="'auto': run a slow-kernel embedded model (Q4_1) as a cached Q8_0 copy; 'q8_0': do that for "
            "any --model; 'none': run the file as given.",
        ),
    )


def echo_solve_summary(result: Any) -> None:
    """The pass-rate histogram and emitted folders of a --solve run (nothing otherwise)."""
    from synthgen.grpo.solve.export import histogram_line

    solve = result.solve
    if not solve:
        return
    typer.echo(
        f"  solve: {solve['attempts']} attempts, {solve['completion_tokens']} tokens, "
        f"verdicts {', '.join(f'{k}={v}' for k, v in solve['verdicts'].items())}"
    )
    typer.echo(f"  pass rates (all solved problems): {histogram_line(solve['pass_rate_histogram'])}")
    typer.echo(f"  pass rates (rows kept):           {histogram_line(solve['pass_rate_histogram_kept'])}")
    for kind, info in result.emitted.items():
        if info["rows"]:
            typer.echo(f"  {kind}: {info['rows']} rows from {info['problems']} problems in {info['path']}")
        else:
            typer.echo(f"  {kind}: 0 rows (no attempt qualified); {info['path']} holds only its card and schema")
