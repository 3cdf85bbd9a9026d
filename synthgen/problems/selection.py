"""Turning --families and --difficulty into a family list and difficulty levels, strictly.

Bad input is a one-line `SynthgenError`, and the resolved list is in a fixed order (registry
order of groups, then names), so the round-robin schedule never depends on how a user spelled
or ordered the option.
"""

from __future__ import annotations

from synthgen.errors import SynthgenError
from synthgen.problems.base import FAMILIES, LEVELS, Family

GROUPS = {
    "math": ["arithmetic", "algebra", "calculus", "number_theory", "linear_algebra", "counting"],
    "logic": ["sat", "knights", "ordering"],
}


def select_families(spec: str | list[str] | None, kind: str) -> list[Family]:
    """Families of `kind` named by group names or exact family names (comma-separated or a list)."""
    order = {g: i for i, g in enumerate(GROUPS[kind])}
    own = sorted((f for f in FAMILIES.values() if f.kind == kind), key=lambda f: (order[f.group], f.name))
    if spec is None or spec == "" or spec == []:
        return own
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    wanted: set[str] = set()
    for raw in parts:
        part = raw.strip()
        if not part:
            continue
        matches = [f.name for f in own if part in (f.group, f.name)]
        if not matches:
            other = [f for f in FAMILIES.values() if part in (f.group, f.name)]
            if other:
                raise SynthgenError(f"--families: {part!r} is a {other[0].kind} family; use `synthgen {other[0].kind}`")
            choices = ", ".join([*GROUPS[kind], *(f.name for f in own)])
            raise SynthgenError(f"--families: unknown family {part!r}; choose from {choices}")
        wanted.update(matches)
    if not wanted:
        raise SynthgenError("--families: no family given")
    return [f for f in own if f.name in wanted]


def parse_levels(spec: str | int | list[int]) -> list[int]:
    """'1-3' -> [1, 2, 3]; '2' -> [2]; '1,4,5' -> [1, 4, 5]; levels must be within 1..5."""
    if isinstance(spec, bool):
        raise SynthgenError(f"--difficulty must be levels 1-5 like '1-3' or '2,4', got {spec!r}")
    if isinstance(spec, int):
        parts: list[str] = [str(spec)]
    elif isinstance(spec, list):
        parts = [str(v) for v in spec]
    else:
        parts = [p.strip() for p in str(spec).split(",")]
    levels: set[int] = set()
    try:
        for part in parts:
            if "-" in part:
                lo, hi = (int(v) for v in part.split("-", 1))
                if lo > hi:
                    raise ValueError
                levels.update(range(lo, hi + 1))
            else:
                levels.add(int(part))
    except ValueError:
        raise SynthgenError(f"--difficulty must be levels 1-5 like '1-3' or '2,4', got {spec!r}") from None
    if not levels or not levels <= set(LEVELS):
        raise SynthgenError(f"--difficulty levels must be between 1 and 5, got {spec!r}")
    return sorted(levels)
