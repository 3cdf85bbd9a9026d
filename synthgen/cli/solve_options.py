"""The `--solve` family of options shared by `synthgen math` and `synthgen logic`, and its summary.

Numbers are validated by the API (one-line error, exit 2), not by typer ranges, whose errors
print a usage box.
"""

from __future__ import annotations

from typing import Any

import typer

from synthgen.cli.common import convert_option, model_option, parallel_option


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
        model=model_option("GGUF model file for --solve (and --source model)."),
        parallel=parallel_option(),
        convert=convert_option(),
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
