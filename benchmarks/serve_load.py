"""Load on `riveg serve` over loopback: N concurrent clients post the demo post for a fixed time.

    RIVEG_THREADS=1 python benchmarks/serve_load.py [--clients 4] [--seconds 60] [--config default]
        [--queue 8] [--vary] [--out benchmarks/results/serve-load.json]

Starts `riveg serve` in a child process on a free 127.0.0.1 port (loopback only), waits for
/readyz (the warm-up runs the demo post once, so every model is loaded), then each client
posts the demo photo + text to /v1/ground (multipart, like `curl -F`) back to back until the
time is up. The warm-up leaves the LLM's answers for the demo post in its cache, so the
figures are those of the server, vision, NER and VE path; --vary appends a counter to each
text so every request decodes with the LLM. Reports throughput, p50/p95 latency of the
200s, errors, 429s, 5xx (exit status 1 if any) and the server's peak RSS (psutil, the
process and its children, sampled every 0.2 s). Bounded: at most 64 clients, 600 s.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MAX_CLIENTS, MAX_SECONDS = 64, 600


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--config", default="default")
    ap.add_argument("--queue", type=int, default=8)
    ap.add_argument("--vary", action="store_true", help="a new text per request (no LLM cache hits)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if not (1 <= args.clients <= MAX_CLIENTS and 0 < args.seconds <= MAX_SECONDS):
        sys.exit(f"--clients must be 1..{MAX_CLIENTS} and --seconds 1..{MAX_SECONDS}")

    import httpx
    import psutil

    from riveg_agent.cli.demo_cmd import demo_post

    post = demo_post()
    photo = Path(post["image"]).read_bytes()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    scratch = Path(tempfile.mkdtemp(prefix="riveg-load-"))
    env = {**os.environ, "RIVEG_CACHE_DIR": str(scratch)}  # a fresh LLM cache: the warm-up fills it
    log = (scratch / "server.log").open("w")  # a file, not a pipe nobody drains
    server = subprocess.Popen([sys.executable, "-m", "riveg_agent", "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--config", args.config, "--queue", str(args.queue)],
                              env=env, stdout=subprocess.DEVNULL, stderr=log)
    proc = psutil.Process(server.pid)
    peak = {"rss": 0}
    samples: list[tuple[float, int]] = []  # (monotonic time, RSS): is memory flat under load?
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            try:
                rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
                peak["rss"] = max(peak["rss"], rss)
                samples.append((time.monotonic(), rss))
            except psutil.Error:
                pass
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    try:
        t0 = time.monotonic()
        while True:
            if server.poll() is not None:
                sys.exit(f"the server exited: {(scratch / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - t0 > MAX_SECONDS:
                sys.exit("the server did not become ready")
            time.sleep(0.5)
        ready_s = time.monotonic() - t0

        latencies: list[float] = []
        statuses: dict[int, int] = {}
        failures: list[str] = []
        lock = threading.Lock()
        counter = iter(range(10**9))
        stop_at = time.monotonic() + args.seconds

        def client() -> None:
            with httpx.Client(base_url=base, timeout=MAX_SECONDS) as http:
                while time.monotonic() < stop_at:
                    text = post["text"] + (f" #{next(counter)}" if args.vary else "")
                    t = time.monotonic()
                    try:
                        r = http.post("/v1/ground", data={"text": text},
                                      files={"image": ("astronaut.jpg", photo, "image/jpeg")})
                    except httpx.HTTPError as exc:
                        with lock:
                            failures.append(f"{type(exc).__name__}: {exc}")
                        continue
                    dt = time.monotonic() - t
                    with lock:
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                        if r.status_code == 200:
                            latencies.append(dt)
                    if r.status_code == 429:  # as a polite client does
                        time.sleep(min(float(r.headers.get("Retry-After", 1)), max(0.0, stop_at - time.monotonic())))

        started = time.monotonic()
        clients = [threading.Thread(target=client) for _ in range(args.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        wall = time.monotonic() - started
    finally:
        sampling.set()
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()

    ok = statuses.get(200, 0)
    report = {
        "config": args.config, "clients": args.clients, "seconds": args.seconds, "queue": args.queue,
        "vary": args.vary, "ready_s": round(ready_s, 1), "wall_s": round(wall, 1),
        "requests": sum(statuses.values()) + len(failures), "ok": ok,
        "throughput_rps": round(ok / wall, 3), "p50_s": round(pct(latencies, 0.5), 3),
        "p95_s": round(pct(latencies, 0.95), 3), "status_429": statuses.get(429, 0),
        "status_5xx": sum(n for s, n in statuses.items() if s >= 500),
        "errors": sum(n for s, n in statuses.items() if s not in (200, 429)) + len(failures),
        "statuses": {str(k): v for k, v in sorted(statuses.items())}, "transport_failures": failures[:5],
        "server_peak_rss_mib": round(peak["rss"] / 2**20), "cpus": os.cpu_count(),
        # RSS over the load phase: mean of its first and of its last quarter
        **rss_quarters(samples, started, started + wall),
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    if report["status_5xx"]:
        sys.exit(1)


def rss_quarters(samples: list[tuple[float, int]], start: float, end: float) -> dict:
    q = (end - start) / 4
    first = [r for t, r in samples if start <= t < start + q]
    last = [r for t, r in samples if end - q <= t <= end]
    if not first or not last:
        return {}
    mib = lambda xs: round(sum(xs) / len(xs) / 2**20)  # noqa: E731
    return {"rss_first_quarter_mib": mib(first), "rss_last_quarter_mib": mib(last)}


if __name__ == "__main__":
    main()
