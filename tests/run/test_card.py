"""Card helpers: the project link comes from pyproject's [project.urls] or is left out, never a placeholder."""

from __future__ import annotations

from email.message import Message

import yaml

import synthgen
from synthgen.run import card


def metadata_with(*urls: str) -> Message:
    meta = Message()
    for url in urls:
        meta["Project-URL"] = url
    return meta


def test_project_url_is_read_from_the_installed_metadata(monkeypatch):
    monkeypatch.setattr(card.metadata, "metadata", lambda name: metadata_with("Homepage, https://example.org/sg"))
    assert card.project_url() == "https://example.org/sg"
    assert card.made_with("1.2.3") == "[synthgen](https://example.org/sg) 1.2.3"


def test_without_a_project_url_synthgen_is_named_without_a_link(monkeypatch):
    monkeypatch.setattr(card.metadata, "metadata", lambda name: metadata_with())
    assert card.project_url() is None
    assert card.made_with("1.2.3") == "synthgen 1.2.3"


def test_cards_of_every_kind_carry_no_placeholder_link(tmp_path, fake):
    from preference_fakes import make_judge

    synthgen.instructions(3, tmp_path / "sft", backend=fake, progress=False)
    synthgen.preferences(2, tmp_path / "dpo", backend=make_judge(), progress=False)
    synthgen.math(3, tmp_path / "math", progress=False)
    for kind in ("sft", "dpo", "math"):
        text = (tmp_path / kind / "README.md").read_text()
        assert "https://github.com/)" not in text
        meta = yaml.safe_load(text.split("---")[1])
        assert meta["annotations_creators"] == ["machine-generated"] and "synthgen" in meta["tags"]
        assert meta["configs"][0]["data_files"][0]["path"] == "data/train-*.parquet"
        assert meta["dataset_info"]["splits"][0]["num_examples"] >= 2


def test_size_categories():
    assert [card.size_category(n) for n in (0, 999, 1000, 10_000, 999_999, 1_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "n>1M",
    ]  # fmt: skip
