"""The card's licence comes from the models' GGUF `general.license`, or is `other` with a reason.

Unit checks of the id mapping and the decision, real preference runs whose policy and judge
state different licences, and one slow run on the real embedded model: its card must name the
file's quantization (Q4_1, run as a Q8_0 copy), its parameter count and its apache-2.0 licence.
"""

from __future__ import annotations

import pytest
from card_helpers import FileBackend, table_rows
from conftest import manifest
from huggingface_hub import DatasetCard
from preference_fakes import make_judge

import synthgen
from synthgen.run.licensing import card_license, hub_license_id, license_section


def model(license: str | None, name: str = "m.gguf") -> dict:
    return {"name": name, "extra": {"license": license}}


def test_gguf_licence_values_map_to_hub_ids():
    assert hub_license_id("Apache-2.0") == hub_license_id("apache 2.0") == "apache-2.0"
    assert hub_license_id("MIT") == "mit" and hub_license_id("llama3.1") == "llama3.1"
    assert hub_license_id("my own terms") is None and hub_license_id("") is None and hub_license_id(None) is None


def test_the_licence_decision():
    assert card_license({"generator": model("apache-2.0")}) == ("apache-2.0", "")
    assert card_license({"policy": model("mit"), "judge": model("MIT")}) == ("mit", "")
    assert card_license({"model": None}) == ("apache-2.0", "")  # no model wrote the rows
    license, note = card_license({"generator": model(None, "x.gguf")})
    assert license == "other" and "not recorded in its file (`x.gguf`)" in note
    license, note = card_license({"generator": model("my own terms")})
    assert license == "other" and "`my own terms`" in note and "not a Hub licence id" in note
    license, note = card_license({"policy": model("apache-2.0"), "judge": model("mit")})
    assert license == "other" and "policy model under `apache-2.0`" in note and "judge model under `mit`" in note
    assert "no model wrote any text" in license_section({"model": None})


def run_preferences(out, policy: str | None, judge: str | None) -> str:
    synthgen.preferences(2, out, backend=FileBackend(make_judge().responder, license=policy),
                         judge_backend=FileBackend(make_judge().responder, license=judge, name="judge.gguf"),
                         progress=False)  # fmt: skip
    return (out / "README.md").read_text()


def test_a_policy_and_judge_under_different_licences_give_other_naming_both(tmp_path):
    text = run_preferences(tmp_path / "a", "Apache-2.0", "MIT")
    assert DatasetCard.load(tmp_path / "a" / "README.md").data.license == "other"
    assert "policy model under `apache-2.0` and the judge model under `mit`" in text
    both = {label: cells for label, *cells in table_rows(text, "| | policy | judge |")}
    assert both["licence (GGUF `general.license`)"] == ["`Apache-2.0`", "`MIT`"]


def test_the_same_licence_for_both_models_is_declared(tmp_path):
    text = run_preferences(tmp_path / "b", "apache-2.0", "Apache-2.0")
    assert DatasetCard.load(tmp_path / "b" / "README.md").data.license == "apache-2.0"
    assert "The card declares `apache-2.0`, the licence the GGUF metadata of the policy and judge models" in text


def test_an_unrecorded_licence_gives_other_and_says_so(tmp_path, fake):
    synthgen.instructions(2, tmp_path / "run", backend=fake, progress=False)
    text = (tmp_path / "run" / "README.md").read_text()
    assert DatasetCard.load(tmp_path / "run" / "README.md").data.license == "other"
    assert "The generator model's licence is not recorded in its file (`fake`); check it." in text


@pytest.mark.slow
def test_the_embedded_model_card_names_quantization_parameters_and_licence(tmp_path):
    from synthgen.backends.llama_model import gguf_meta
    from synthgen.backends.model_file import embedded_model_path

    out = tmp_path / "run"
    synthgen.instructions(3, out, progress=False)
    extra = manifest(out)["model"]["extra"]
    assert (extra["quantization"], extra["run_quantization"]) == ("Q4_1", "Q8_0")  # the embedded file, its copy
    size = gguf_meta(embedded_model_path(), ["general.size_label"])["general.size_label"]
    assert f"{round(extra['n_params'] / 1e6)}M" == size  # llama.cpp's count agrees with the file's label
    text = (out / "README.md").read_text()
    rows = dict(table_rows(text, "| | generator |"))
    assert rows["quantization"].startswith(f"Q4_1; ran as its Q8_0 copy `{extra['run_file']}`")
    assert rows["parameters (llama.cpp)"].startswith(f"{extra['n_params']:,} (")
    assert rows["licence (GGUF `general.license`)"] == "`apache-2.0`"
    assert DatasetCard.load(out / "README.md").data.license == "apache-2.0"
