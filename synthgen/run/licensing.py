"""The licence a dataset card declares, from the licences the models' GGUF files state.

Text a model wrote carries that model's licence terms, so the card's YAML `license` is the
models' own `general.license` when every model that wrote part of the rows states the same one,
in the lower-case id the Hub accepts. When a licence is not recorded, is not a Hub id, or the
models disagree (a policy and a judge under different terms), the card says `other` and its
body says why, naming each model's licence, so a user checks before reusing the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The licence ids the Hub accepts in card metadata; anything else must be `other`.
HUB_LICENSES = frozenset(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
    bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda
    cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0
    cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0
    cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0
    epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc
    h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr mpl-2.0 odc-by odbl openrail++
    osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license
    fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4 gemma""".split()
)
# Spellings GGUF converters have written for a Hub id.
_ALIASES = {"apache-license-2.0": "apache-2.0", "apache2": "apache-2.0", "apache-2": "apache-2.0", "mit-license": "mit"}


def hub_license_id(raw: str | None) -> str | None:
    """A GGUF `general.license` value as a Hub licence id ("Apache-2.0" -> "apache-2.0"), or None."""
    if not raw or not raw.strip():
        return None
    key = "-".join(raw.strip().lower().replace("_", " ").split())
    key = _ALIASES.get(key, key)
    return key if key in HUB_LICENSES else None


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def card_license(models: Mapping[str, dict[str, Any] | None], *, no_model: str = "apache-2.0") -> tuple[str, str]:
    """(YAML licence, body note) for the models whose text is in the rows ({role: manifest model block}).

    `no_model` is the licence when no model wrote any of the rows (procedural problems). The note
    is "" when the licence is fully known, else sentences saying what to check.
    """
    present = {role: model for role, model in models.items() if model}
    if not present:
        return no_model, ""
    raw = {role: (model.get("extra") or {}).get("license") for role, model in present.items()}
    ids = {role: hub_license_id(value) for role, value in raw.items()}
    notes = []
    for role, value in raw.items():
        name = present[role].get("name")
        if not value:
            notes.append(f"the {role} model's licence is not recorded in its file (`{name}`); check it")
        elif ids[role] is None:
            notes.append(f"the {role} model's file (`{name}`) states `{value}`, which is not a Hub licence id")
    if notes:
        return "other", " ".join(_sentence(note) + "." for note in notes)
    if len(set(ids.values())) > 1:
        named = " and ".join(f"the {role} model under `{ids[role]}`" for role in ids)
        return "other", f"The rows hold text of {named}; both licences apply."
    return next(iter(ids.values())), ""


def license_section(models: Mapping[str, dict[str, Any] | None], *, no_model: str = "apache-2.0") -> str:
    """The card paragraph on the licence: what the YAML declares, where it comes from, and the note."""
    license, note = card_license(models, no_model=no_model)
    present = [role for role, model in models.items() if model]
    if not present:
        return f"The card declares `{license}`: no model wrote any text in the rows."
    if note:
        return f"The card declares `{license}`. {note}"
    if len(present) == 1:
        whose, what = f"the {present[0]} model's GGUF metadata states", "what the model wrote"
    else:
        whose, what = f"the GGUF metadata of the {' and '.join(present)} models state", "what they wrote"
    return f"The card declares `{license}`, the licence {whose} (`general.license`); it applies to {what}."
