"""`--executor ray` on a real local Ray cluster: shards of a fake-backend run, a worker killed
mid-shard (retried, resumed from its journal), a SynthgenError from a task, and the CLI.

One module-scoped `ray.init(num_cpus=2)`; the executor joins it (ray.is_initialized) and leaves it
running. Workers import this module by name to unpickle its helpers, hence PYTHONPATH.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_helpers import run

import synthgen
from synthgen.backends.base import Completion, GenerationRequest
from synthgen.backends.fake import FakeBackend
from synthgen.errors import SynthgenError

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module", autouse=True)
def cluster():
    path = os.pathsep.join([str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path, "HF_HUB_OFFLINE": "1"}})  # fmt: skip
    yield
    ray.shutdown()


def rows_of(folder: Path) -> list[dict]:
    return pq.read_table(folder / "data" / "train-00000-of-00001.parquet").to_pylist()


def test_ray_runs_every_shard_and_merges_like_shards_made_by_hand(tmp_path):
    for k in range(4):
        synthgen.instructions(30, tmp_path / "hand", seed=5, shard_index=k, num_shards=4, backend=FakeBackend(),
                              progress=False)  # fmt: skip
    synthgen.merge([tmp_path / "hand"], tmp_path / "hand-merged")
    result = synthgen.instructions(30, tmp_path / "ray", seed=5, num_shards=4, executor="ray", backend=FakeBackend(),
                                   progress=False)  # fmt: skip
    assert result.rows == 30 and result.out == tmp_path / "ray"
    assert rows_of(tmp_path / "ray") == rows_of(tmp_path / "hand-merged")
    assert sorted(p.name for p in (tmp_path / "ray" / "completions").iterdir()) == [f"{k:05d}" for k in range(4)]
    math = synthgen.math(20, tmp_path / "math", seed=1, num_shards=3, executor="ray", progress=False)
    assert rows_of(math.out) == rows_of(synthgen.math(20, tmp_path / "math-local", seed=1, num_shards=3,
                                                      progress=False).out)  # fmt: skip


class DiesOnce:
    """A backend factory whose backend kills its worker process after 6 requests, once per run."""

    def __init__(self, flag: Path):
        self.flag = flag

    def __call__(self) -> FakeBackend:
        inner = FakeBackend()
        calls = [0]

        def respond(request: GenerationRequest) -> str | Completion:
            calls[0] += 1
            if calls[0] > 6:
                try:
                    os.close(os.open(self.flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                except FileExistsError:
                    pass
                else:
                    os._exit(1)  # the worker dies as a killed node would: no cleanup, the journal stays
            return inner._one(request)

        return FakeBackend(responder=respond)


def test_a_killed_shard_is_retried_and_resumes(tmp_path):
    flag = tmp_path / "died"
    result = synthgen.instructions(24, tmp_path / "ray", seed=7, num_shards=2, executor="ray", batch_size=2,
                                   backend=DiesOnce(flag), progress=False)  # fmt: skip
    assert flag.exists(), "one worker was killed"
    local = synthgen.instructions(24, tmp_path / "local", seed=7, num_shards=2, batch_size=2, backend=FakeBackend(),
                                  progress=False)  # fmt: skip
    assert result.rows == 24 and rows_of(tmp_path / "ray") == rows_of(local.out)


def test_a_synthgen_error_in_a_shard_is_one_line_and_not_retried(tmp_path):
    with pytest.raises(SynthgenError) as info:
        synthgen.instructions(4, tmp_path / "ray", num_shards=2, executor="ray", method="bogus",
                              backend=FakeBackend(), progress=False)  # fmt: skip
    assert str(info.value).startswith("shard 0: --method must be one of") and info.value.exit_code == 2


def test_cli_with_one_progress_line(tmp_path):
    proc = run("logic", "--n", "12", "--num-shards", "3", "--executor", "ray", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert "done: 12 rows in" in proc.stdout and "merged 3 shards into" in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("rows ")]
    assert lines and all("/12 " in line for line in lines), "one line for all shards, out of the run's 12 rows"
    assert lines[-1].startswith("rows 12/12 (100%)")
