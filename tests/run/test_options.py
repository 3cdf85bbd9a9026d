"""The one option check: the same wording for every command's numbers, choices and configs."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from synthgen.dpo.config import Strategy
from synthgen.errors import SynthgenError
from synthgen.run.options import build_config, check_choice, check_int


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("n", 0), "--n must be a positive integer, got 0"),
        (("max_attempts", -1), "--max-attempts must be a positive integer, got -1"),
        (("seed", -1, 0), "--seed must be a non-negative integer, got -1"),
        (("solve_max_tokens", 8, 16), "--solve-max-tokens must be an integer >= 16, got 8"),
        (("n", True), "--n must be a positive integer, got True"),
        (("n", 2.0), "--n must be a positive integer, got 2.0"),
    ],
)
def test_bad_integers_name_the_flag(args, message):
    with pytest.raises(SynthgenError) as err:
        check_int(*args)
    assert str(err.value) == message


def test_a_note_explains_the_number():
    with pytest.raises(SynthgenError, match=r"^--solve must be a positive integer \(attempts per problem\), got 0$"):
        check_int("solve", 0, note="attempts per problem")


def test_good_values_pass_through():
    assert check_int("n", 3) == 3 and check_int("seed", 0, least=0) == 0
    assert check_choice("strategy", "best-second", Strategy) is Strategy.best_second


def test_a_bad_choice_lists_the_choices():
    expected = "^--strategy must be one of best-worst, best-second, best-random, got 'x'$"
    with pytest.raises(SynthgenError, match=expected):
        check_choice("strategy", "x", Strategy)


def test_a_config_error_names_the_option_as_typed():
    class Config(BaseModel):
        min_margin: float = Field(1.0, le=9.0)

    with pytest.raises(SynthgenError, match="^invalid option --min-margin: Input should be less than or equal to 9"):
        build_config(Config, min_margin=12)
