"""`synthgen export DIR --format F --out PATH`: a run's rows in another trainer's layout.

The rows are split first (`--test-size`, by a hash of each stored row's id, so a preference
pair's two KTO rows stay together), then converted row by row (formats.py), then written:
- `--out x.jsonl` or `x.parquet`: that file (with a split: `x-train.jsonl`, `x-test.jsonl`);
- `--out DIR` for `trl` / `kto`: a dataset folder (`data/<split>-00000-of-00001.parquet` and a
  card whose `configs` name the splits), which `datasets.load_dataset(DIR)` reads offline;
- `--out DIR` for the other formats: `<split>.jsonl` files, plus LLaMA-Factory's
  `dataset_info.json` entry or an axolotl config snippet (`axolotl.yaml`) for those formats.
JSONL lines are written with `json.dumps(..., ensure_ascii=False)`, not pandas, so text is not
escaped into `\\uXXXX` or `\\/`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from synthgen.errors import SynthgenError
from synthgen.publish.formats import FORMATS, converter
from synthgen.publish.source import read_run
from synthgen.publish.split import check_test_size, split_rows
from synthgen.run.card import configs_yaml, dataset_info_yaml, front_matter, hub_meta, shard_name
from synthgen.run.folder import RunFolder
from synthgen.run.options import check_choice

FOLDER_ONLY = ("llama-factory", "axolotl")
DATASET_FOLDER = ("trl", "kto")


class ExportResult(BaseModel):
    """What `export` wrote: the files, rows per split, and the layout."""

    format: str
    kind: str
    files: list[Path]
    rows: dict[str, int]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    os.replace(tmp, path)


def _check_target(out: Path, overwrite: bool) -> None:
    """Refuse to replace an existing file or non-empty folder unless `overwrite`."""
    if out.exists() and not overwrite and (out.is_file() or any(out.iterdir())):
        raise SynthgenError(f"--out {out} already exists; use --overwrite to replace it")
    if not out.parent.exists():
        raise SynthgenError(f"--out {out}: the folder {out.parent} does not exist")
    if not out.parent.is_dir():
        raise SynthgenError(f"--out {out}: {out.parent} is a file, not a folder")


def _features(format: str, stored: Any, converted: dict[str, list[dict[str, Any]]]):
    """The Arrow schema for Parquet output: as stored for trl, else inferred from the rows."""
    from datasets import Dataset, Features, Value

    if format == "trl":
        return stored
    rows = [r for split in converted.values() for r in split]
    if not rows:
        raise SynthgenError("nothing to export: the run has no rows")
    features = Dataset.from_list(rows).features
    if format == "kto":
        features = Features({**features, "label": Value("bool")})
    return features


def _dataset_folder(out: Path, converted, features, kind: str) -> list[Path]:
    folder = RunFolder(out)
    facts = {split: folder.write_parquet(rows, features, shard_name("default", split))
             for split, rows in converted.items()}  # fmt: skip
    meta = hub_meta(
        license="other",
        pretty_name=f"synthgen {kind} export",
        tags=["synthetic", "synthgen", kind],
        rows=sum(len(r) for r in converted.values()),
        configs=configs_yaml({"default": list(converted)}),
    )
    meta["dataset_info"] = dataset_info_yaml({"default": (facts, features)})
    folder.write_text_atomic("README.md", f"{front_matter(meta)}\n\nExported by `synthgen export`.\n")
    return [*(out / f["file"] for f in facts.values()), out / "README.md"]


def _tool_config(format: str, kind: str, out: Path, files: dict[str, Path]) -> Path:
    """LLaMA-Factory's dataset_info.json entry, or an axolotl config snippet, naming the files."""
    name = out.name.replace("-", "_") or "synthgen"
    if format == "llama-factory":
        tags = {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"}
        columns = {"messages": "conversations", "system": "system"}
        if kind == "dpo":
            columns |= {"chosen": "chosen", "rejected": "rejected"}
        entry = {"formatting": "sharegpt", "columns": columns, "tags": tags} | (
            {"ranking": True} if kind == "dpo" else {}
        )
        info = {(name if split == "train" else f"{name}_{split}"): {"file_name": path.name, **entry}
                for split, path in files.items()}  # fmt: skip
        target = out / "dataset_info.json"
        target.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return target
    dataset: dict[str, Any] = {"ds_type": "json", "type": "chat_template", "field_messages": "messages"}
    if kind == "dpo":
        dataset |= {"type": "chat_template.default", "field_chosen": "chosen", "field_rejected": "rejected"}
    config: dict[str, Any] = {"chat_template": "tokenizer_default"} | ({"rl": "dpo"} if kind == "dpo" else {})
    config["datasets"] = [{"path": str(files["train"].resolve()), **dataset}]
    if "test" in files:
        config["test_datasets"] = [{"path": str(files["test"].resolve()), "split": "train", **dataset}]
    target = out / "axolotl.yaml"
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return target


def export(
    folder: str | Path,
    format: str,
    out: str | Path,
    *,
    test_size: float = 0.0,
    overwrite: bool = False,
    allow_partial: bool = False,
) -> ExportResult:
    """Write the rows of the run folder `folder` in `format` to `out` (see the module docstring)."""
    format = check_choice("format", format, FORMATS)
    test_size = check_test_size(test_size)
    out = Path(out).expanduser()
    run = read_run(folder)
    if not run.finished and not allow_partial:
        raise SynthgenError(f"{run.path} is not finished (status {run.status}); finish it or pass --allow-partial")
    if "default" not in run.configs:
        raise SynthgenError(f"{run.path} has no data/train-*.parquet to export")
    convert = converter(format, run.kind)
    suffix = out.suffix.lower()
    if format in FOLDER_ONLY and suffix:
        raise SynthgenError(f"--format {format} writes a folder (data plus its config); give --out a folder name")
    if suffix and suffix not in (".jsonl", ".parquet"):
        raise SynthgenError(f"--out {out}: use a .jsonl or .parquet file name, or a folder name")
    _check_target(out, overwrite)
    stored = run.configs["default"]
    splits = split_rows(stored.rows, test_size)
    converted = {name: [r for row in rows for r in convert(row)] for name, rows in splits.items()}
    features = _features(format, stored.features, converted) if (suffix == ".parquet" or not suffix) else None
    if out.is_dir() and overwrite:
        shutil.rmtree(out)
    elif out.is_file() and overwrite:
        out.unlink()
    files: list[Path] = []
    if suffix:
        for name, rows in converted.items():
            target = out if len(converted) == 1 else out.with_name(f"{out.stem}-{name}{out.suffix}")
            if suffix == ".jsonl":
                _write_jsonl(target, rows)
            else:
                RunFolder(target.parent).write_parquet(rows, features, target.name)
            files.append(target)
    elif format in DATASET_FOLDER:
        files = _dataset_folder(out, converted, features, run.kind)
    else:
        out.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, rows in converted.items():
            written[name] = out / f"{name}.jsonl"
            _write_jsonl(written[name], rows)
        files = list(written.values())
        if format in FOLDER_ONLY:
            files.append(_tool_config(format, run.kind, out, written))
    return ExportResult(format=format, kind=run.kind, files=files, rows={k: len(v) for k, v in converted.items()})
