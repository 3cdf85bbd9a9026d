"""Procedural, sympy-verified problem families for GRPO (answer first, self-checked golds).

Importing the package registers every family in `FAMILIES`; `select_families` and
`parse_levels` turn the --families / --difficulty options into a family list and levels.
"""

from synthgen.problems import (  # noqa: F401 (registers the families)
    algebra,
    arithmetic,
    calculus,
    counting,
    knights,
    linear_algebra,
    logic_sat,
    number_theory,
    ordering,
)
from synthgen.problems.base import FAMILIES, Family, Problem, Reject, make_problem, problem_id
from synthgen.problems.selection import GROUPS, parse_levels, select_families

__all__ = [
    "FAMILIES",
    "GROUPS",
    "Family",
    "Problem",
    "Reject",
    "make_problem",
    "parse_levels",
    "problem_id",
    "select_families",
]
