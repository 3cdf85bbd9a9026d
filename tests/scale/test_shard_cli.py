"""The shard options through the installed `synthgen` script: one-line errors (exit 2), a Slurm-style
run of shards by hand and `synthgen merge R --out F`, and no module but the Ray executor importing Ray."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from cli_helpers import assert_one_line_error, run

PACKAGE = Path(__file__).resolve().parents[2] / "synthgen"


def test_shard_index_without_num_shards(tmp_path):
    proc = run("instructions", "--n", "4", "--shard-index", "0", "--out", str(tmp_path / "r"))
    assert_one_line_error(proc, "--shard-index needs --num-shards")
    assert not (tmp_path / "r").exists()


def test_shard_index_must_be_below_num_shards(tmp_path):
    proc = run("math", "--n", "6", "--shard-index", "2", "--num-shards", "2", "--out", str(tmp_path / "r"))
    assert_one_line_error(proc, "--shard-index must be below --num-shards (0 to 1), got 2")
    proc = run("preferences", "--n", "6", "--shard-index", "0", "--num-shards", "7", "--out", str(tmp_path / "r"))
    assert_one_line_error(proc, "--num-shards must be at most --n (6), got 7")
    assert not (tmp_path / "r").exists()


def test_executor_ray_without_ray_installed_says_how_to_install_it(tmp_path):
    """Ray is installed here (the test extra), so the interpreter is told it is not: sys.modules["ray"] = None."""
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from synthgen.cli.main import main\n"
        f"main(['logic', '--n', '4', '--num-shards', '2', '--executor', 'ray', '--out', {str(tmp_path / 'r')!r}])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert_one_line_error(proc, "--executor ray needs Ray", 'pip install "synthgen[ray]"')
    assert not (tmp_path / "r" / "shards").exists(), "nothing ran"


def test_shards_by_hand_then_merge(tmp_path):
    root, merged = tmp_path / "run", tmp_path / "merged"
    first = run("logic", "--n", "7", "--seed", "1", "--num-shards", "2", "--shard-index", "1", "--out", str(root))
    assert first.returncode == 0, first.stderr
    assert "done: 3 rows in" in first.stdout and "1 still to run (0)" in first.stderr
    assert_one_line_error(run("merge", str(root), "--out", str(merged)), "shard(s) 0 of 2 have not finished")
    second = run("logic", "--n", "7", "--seed", "1", "--num-shards", "2", "--shard-index", "0", "--out", str(root))
    assert second.returncode == 0 and f"synthgen merge {root} --out" in second.stderr
    again = run("logic", "--n", "7", "--seed", "1", "--num-shards", "2", "--shard-index", "0", "--out", str(root))
    assert again.returncode == 0 and "already complete" in again.stderr
    proc = run("merge", str(root), "--out", str(merged))
    assert proc.returncode == 0, proc.stderr
    assert "merged 2 grpo runs" in proc.stdout
    assert pq.read_table(merged / "data" / "train-00000-of-00001.parquet").num_rows == 7
    assert_one_line_error(
        run("logic", "--n", "8", "--seed", "1", "--num-shards", "2", "--shard-index", "0", "--out", str(root)),
        "was split by another run (n 7; this one has n 8)",
    )


def test_only_the_ray_executor_imports_ray():
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] == "ray" for name in names):
                importers.add(path.relative_to(PACKAGE).as_posix())
    assert importers == {"scale/ray_executor.py"}
