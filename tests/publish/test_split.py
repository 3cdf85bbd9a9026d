"""The train/test split: by a hash of each row's id, so a row never changes split."""

from __future__ import annotations

import pytest

from synthgen.errors import SynthgenError
from synthgen.publish.split import check_test_size, in_test, row_key, split_rows


def rows(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"row-{i}", "x": i} for i in range(start, start + n)]


def test_a_row_keeps_its_split_when_the_dataset_grows():
    small = split_rows(rows(200), 0.25)
    large = split_rows(rows(2000), 0.25)
    test_ids = {r["id"] for r in large["test"]}
    assert {r["id"] for r in small["test"]} == {r["id"] for r in rows(200) if r["id"] in test_ids}


def test_the_fraction_is_about_right_and_nothing_is_lost():
    splits = split_rows(rows(4000), 0.2)
    assert len(splits["train"]) + len(splits["test"]) == 4000
    assert 0.17 < len(splits["test"]) / 4000 < 0.23
    assert all(in_test(r["id"], 0.2) for r in splits["test"])
    assert not any(in_test(r["id"], 0.2) for r in splits["train"])


def test_order_is_kept_within_each_split():
    splits = split_rows(rows(300), 0.3)
    for part in splits.values():
        assert [r["x"] for r in part] == sorted(r["x"] for r in part)


def test_no_test_split_without_a_fraction():
    assert split_rows(rows(5), 0.0) == {"train": rows(5)}


def test_rows_without_an_id_are_keyed_by_content():
    assert row_key({"a": 1}) == row_key({"a": 1}) != row_key({"a": 2})
    assert row_key({"id": "x", "a": 1}) == "x"


@pytest.mark.parametrize("bad", [-0.1, 1, 1.5, "0.1", True, None])
def test_bad_fractions_are_one_line_errors(bad):
    with pytest.raises(SynthgenError, match="--test-size"):
        check_test_size(bad)
