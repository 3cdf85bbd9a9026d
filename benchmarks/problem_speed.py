"""Rows per minute of each procedural problem family, self-checks included (single process).

Run on demand (never in CI):

    python benchmarks/problem_speed.py                  # 20 problems per family per level 1-5
    python benchmarks/problem_speed.py --per-level 40 --levels 1-3

Times `make_problem` (draws, rejections, the family's sympy/enumeration self-checks and bounds),
which is what a `synthgen math|logic` run spends per row apart from journaling and Parquet; an end
to end `synthgen.math` run of all families is timed too, for that overhead.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter

import synthgen
from synthgen.problems import FAMILIES, make_problem, parse_levels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-level", type=int, default=20, help="problems per family and level")
    parser.add_argument("--levels", default="1-5", help="difficulty levels, e.g. 1-5 or 2,4")
    parser.add_argument("--end-to-end", type=int, default=230, help="rows of the end-to-end synthgen.math run")
    args = parser.parse_args()
    levels = parse_levels(args.levels)
    print(f"{'family':26s} {'rows/min':>10s} {'ms/row':>8s} {'draws/row':>9s}")
    for name, fam in FAMILIES.items():
        rejections: Counter = Counter()
        rows = 0
        started = time.perf_counter()
        for level in levels:
            for index in range(args.per_level):
                if make_problem(fam, 0, index, level, rejections=rejections) is not None:
                    rows += 1
        seconds = time.perf_counter() - started
        draws = (rows + sum(rejections.values())) / max(rows, 1)
        print(f"{name:26s} {60 * rows / seconds:10.0f} {1000 * seconds / max(rows, 1):8.2f} {draws:9.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("math", "logic"):
            started = time.perf_counter()
            result = getattr(synthgen, kind)(args.end_to_end, f"{tmp}/{kind}", difficulty=args.levels, progress=False)
            seconds = time.perf_counter() - started
            print(
                f"end to end synthgen.{kind}(n={result.rows}, all families): {60 * result.rows / seconds:.0f} rows/min"
            )


if __name__ == "__main__":
    main()
