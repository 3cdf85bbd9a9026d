"""`synthgen verify DIR` / synthgen.verify_dataset over run folders, good and broken."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import synthgen
from synthgen.cli.main import main
from synthgen.errors import SynthgenError


def _folder(tmp_path: Path, rows: list[dict], command: str = "math") -> Path:
    out = tmp_path / "run"
    (out / "data").mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps({"command": command}))
    pq.write_table(pa.Table.from_pylist(rows), out / "data" / "train-00000-of-00001.parquet")
    return out


def _family_rows(per_family: int = 2) -> list[dict]:
    from synthgen.problems import FAMILIES, make_problem

    rows = []
    for fam in FAMILIES.values():
        for index in range(per_family):
            problem = make_problem(fam, 3, index, 1 + 2 * index)
            if problem is not None:
                rows.append({"id": problem.id, "family": problem.family, "answer": problem.answer,
                             "solution": problem.solution, "verification": problem.verification_json()})  # fmt: skip
    return rows


def _row(answer, solution, verification, family="t.fam", id_="r"):
    return {
        "id": id_,
        "family": family,
        "answer": answer,
        "solution": solution,
        "verification": json.dumps(verification),
    }


def test_every_family_row_verifies(tmp_path, capsys):
    rows = _family_rows()
    assert len({r["family"] for r in rows}) >= 5
    out = _folder(tmp_path, rows)
    report = synthgen.verify_dataset(out)
    assert report.ok, report.failures[:3]
    assert report.rows == len(rows)
    assert all(s.perturbations > 0 and s.ok == s.rows for s in report.families.values())
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", str(out)])
    assert exit_info.value.code == 0
    assert f"{len(rows)} rows checked, ok" in capsys.readouterr().out


def test_broken_rows_are_listed_and_exit_1(tmp_path, capsys):
    rational = {"method": "rational", "value": "1/2"}
    rows = [
        _row("1/2", r"$\frac{1}{2}$", rational, id_="good"),
        _row("1/3", r"$\frac{1}{2}$", rational, id_="bad-answer"),
        _row("1/2", r"$\frac{1}{2$", rational, id_="bad-solution"),
        _row("1/2", r"$\frac{1}{2}$", {"method": "nope", "value": "1"}, id_="bad-method"),
        _row("x", "$x$", {"method": "expression", "value": "x", "variables": ["x"]}, id_="ok-expr"),
    ]
    report = synthgen.verify_dataset(_folder(tmp_path, rows))
    failing = {f.id: f.problem for f in report.failures}
    assert set(failing) == {"bad-answer", "bad-solution", "bad-method"}
    assert failing["bad-answer"].startswith("answer: wrong")
    assert "solution: unparseable" in failing["bad-solution"]
    assert "bad_gold" in failing["bad-method"]
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", str(tmp_path / "run")])
    assert exit_info.value.code == 1
    assert "FAIL bad-answer" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["no-data", "instructions-run", "missing-columns", "not-a-dir"])
def test_not_a_math_run_is_a_one_line_error(tmp_path, capsys, case):
    if case == "no-data":
        target = tmp_path / "empty"
        target.mkdir()
    elif case == "instructions-run":
        target = _folder(tmp_path, [_row("1", "$1$", {"method": "integer", "value": "1"})], command="instructions")
    elif case == "missing-columns":
        target = _folder(tmp_path, [{"messages": "hi"}])
    else:
        target = tmp_path / "nothing-here"
    with pytest.raises(SynthgenError):
        synthgen.verify_dataset(target)
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", str(target)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("synthgen: error:") and err.count("\n") == 1


def test_check_gold_api():
    from synthgen.verify import check_gold

    good = _row(
        "-2, 1/2",
        r"$\left\{-2, \frac{1}{2}\right\}$",
        {"method": "set", "values": ["-2", "1/2"], "element": "rational"},
    )
    assert check_gold(good).reason == "correct"
    bad = {**good, "solution": r"$\left\{-2\right\}$"}
    verdict = check_gold(bad)
    assert verdict.reason == "bad_gold" and verdict.detail.startswith("solution: wrong")
