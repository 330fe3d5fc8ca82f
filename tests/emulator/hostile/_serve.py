"""Serve the emulator for the hostile-client tests, in its own process, with a control line.

Usage: ``python _serve.py '<json settings>'``. Prints one JSON line (url, api key, pid), then
answers each line read on stdin: ``stats`` (the emulator's counters), ``limiter`` (clients the
rate limiter tracks), ``seed <n>`` (a public dataset of n samples), ``quit``.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from segments_orm.emulator import EmulatorServer
from segments_orm.emulator._server import _ServerLimits


def main() -> None:
    settings = json.loads(sys.argv[1])
    # Anything the server logs at WARNING or above is a spurious line the tests look for.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="LOG %(message)s")

    class Limits(_ServerLimits):
        pass

    for name, value in settings.get("limits", {}).items():
        setattr(Limits, name, value)
    server = EmulatorServer()
    server._limits = Limits
    if "max_request_seconds" in settings:
        server.emulator.max_request_seconds = settings["max_request_seconds"]
    if "rate_limit" in settings:
        server.emulator.rate_limit = tuple(settings["rate_limit"])
    with server:
        print(json.dumps({"url": server.url, "key": server.api_key, "pid": os.getpid()}))
        sys.stdout.flush()
        for line in sys.stdin:
            command = line.split()
            if not command or command[0] == "quit":
                break
            if command[0] == "stats":
                answer = server.emulator.stats.as_dict()
            elif command[0] == "limiter":
                limiter = server.emulator._rate_limiter
                answer = {"clients": 0 if limiter is None else len(limiter)}
            elif command[0] == "seed":
                answer = _seed(server, int(command[1]))
            else:
                answer = {"error": f"unknown command {command[0]!r}"}
            print(json.dumps(answer, default=str))
            sys.stdout.flush()


def _seed(server: EmulatorServer, count: int) -> dict:
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"APIKey {server.api_key}"
    response = session.post(f"{server.url}user/datasets/", json={"name": "big", "public": True})
    response.raise_for_status()
    for start in range(0, count, 1000):
        batch = [
            {"name": f"s{index}", "attributes": {"image": {"url": "x"}}, "metadata": {"k": index}}
            for index in range(start, min(count, start + 1000))
        ]
        session.post(
            f"{server.url}datasets/demo/big/samples_bulk/", json=batch, timeout=60
        ).raise_for_status()
    return {"dataset": "demo/big", "samples": count}


if __name__ == "__main__":
    main()
