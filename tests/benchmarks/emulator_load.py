"""``python -m tests.benchmarks.emulator_load``: the emulator under load, waitress vs werkzeug.

Not part of the default test run (its module name does not start with ``test_``). For each
server, in one run and on loopback: a fresh emulator in a child process, ``--idle`` sockets
connected and left idle, then ``--clients`` keep-alive clients (spread over ``--processes``
client processes, so the clients' own GIL is not what is measured) each looping for
``--seconds``: three listings of a page of samples for one sample created. It prints the
requests served, throughput, p50/p99 latency and errors (any status >= 400 or a failed
request) side by side, and exits non-zero if the waitress run had an error.

Everything is bounded: each client request has a 10 s timeout, each phase a deadline, and
every process is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any, Optional

_SERVE = r"""
import json, sys, threading
from segments_orm.emulator import Emulator, EmulatorServer
kind = sys.argv[1]
if kind == "waitress":
    server = EmulatorServer().start()
    emulator, port, stop = server.emulator, server.port, server.stop
else:
    # The development server the emulator used before, for comparison.
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Handler(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"
        def log(self, *args):
            pass

    emulator = Emulator()
    dev = make_server("127.0.0.1", 0, emulator, threaded=True, request_handler=Handler)
    threading.Thread(target=dev.serve_forever, daemon=True).start()
    port = dev.server_port
    def stop():
        dev.shutdown()
print(json.dumps({"port": port, "key": emulator.api_key}), flush=True)
sys.stdin.read()
print(json.dumps(emulator.stats.as_dict()), flush=True)
stop()
"""


def _client_process(
    port: int, key: str, clients: int, seconds: float, index: int, out: Any
) -> None:
    """Run ``clients`` keep-alive client threads; send (latencies, errors, error kinds)."""
    import threading

    headers = {"Authorization": f"APIKey {key}", "Content-Type": "application/json"}
    stop_at = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        failed: list[str] = []
        count = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                if count % 4 == 3:
                    body = {
                        "name": f"p{index}-c{number}-{count}",
                        "attributes": {"image": {"url": "x"}},
                    }
                    connection.request(
                        "POST", "/datasets/demo/load/samples/", json.dumps(body), headers
                    )
                else:
                    connection.request(
                        "GET", "/datasets/demo/load/samples/?per_page=20", headers=headers
                    )
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    failed.append(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as error:
                failed.append(type(error).__name__)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - started)
            count += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    out.put((latencies, errors))


def run_one(kind: str, clients: int, idle: int, seconds: float, processes: int) -> dict[str, Any]:
    """Load one server kind; return its figures."""
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE, kind],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None
    assert server.stdout is not None
    idle_sockets: list[socket.socket] = []
    try:
        info = json.loads(server.stdout.readline())
        port, key = int(info["port"]), info["key"]
        setup = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"APIKey {key}", "Content-Type": "application/json"}
        setup.request("POST", "/user/datasets/", json.dumps({"name": "load"}), headers)
        assert setup.getresponse().read() is not None
        samples = [{"name": f"seed{n}", "attributes": {"image": {"url": "x"}}} for n in range(200)]
        setup.request("POST", "/datasets/demo/load/samples_bulk/", json.dumps(samples), headers)
        setup.getresponse().read()
        setup.close()
        for _ in range(idle):
            idle_sockets.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        per_process = [
            clients // processes + (1 if n < clients % processes else 0) for n in range(processes)
        ]
        workers = [
            context.Process(target=_client_process, args=(port, key, count, seconds, n, queue))
            for n, count in enumerate(per_process)
            if count
        ]
        for worker in workers:
            worker.start()
        latencies: list[float] = []
        errors: list[str] = []
        for _ in workers:
            got_latencies, got_errors = queue.get(timeout=seconds + 120)
            latencies.extend(got_latencies)
            errors.extend(got_errors)
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.terminate()
        server.stdin.close()
        stats = json.loads(server.stdout.readline() or "{}")
    finally:
        for sock in idle_sockets:
            sock.close()
        if server.poll() is None:
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
    latencies.sort()
    count = len(latencies)
    kinds: dict[str, int] = {}
    for error in errors:
        kinds[error] = kinds.get(error, 0) + 1
    return {
        "server": kind,
        "requests": count,
        "throughput": count / seconds,
        "p50_ms": latencies[count // 2] * 1000 if count else float("nan"),
        "p99_ms": latencies[min(count - 1, int(count * 0.99))] * 1000 if count else float("nan"),
        "errors": len(errors),
        "error_kinds": kinds,
        "internal_errors": stats.get("internal_errors"),
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--servers", default="waitress,werkzeug")
    args = parser.parse_args(argv)
    print(
        f"{args.clients} keep-alive clients in {args.processes} processes, {args.idle} idle"
        f" sockets, {args.seconds:g} s per server; {os.cpu_count()} CPUs"
    )
    results = []
    for kind in args.servers.split(","):
        result = run_one(kind.strip(), args.clients, args.idle, args.seconds, args.processes)
        results.append(result)
        print(
            f"  {result['server']:9s} {result['requests']:8d} requests"
            f"  {result['throughput']:7.0f} req/s  p50 {result['p50_ms']:7.1f} ms"
            f"  p99 {result['p99_ms']:7.1f} ms  errors {result['errors']}"
            f" {result['error_kinds'] or ''}  internal errors {result['internal_errors']}",
            flush=True,
        )
    if len(results) == 2 and results[1]["throughput"]:
        print(
            f"  ratio {results[0]['server']}/{results[1]['server']}: throughput"
            f" {results[0]['throughput'] / results[1]['throughput']:.2f}x, p99"
            f" {results[0]['p99_ms'] / results[1]['p99_ms']:.2f}x"
        )
    waitress = [r for r in results if r["server"] == "waitress"]
    return 1 if waitress and (waitress[0]["errors"] or waitress[0]["internal_errors"]) else 0


if __name__ == "__main__":
    sys.exit(main())
