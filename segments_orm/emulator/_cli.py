"""``segments-orm emulator``: serve the emulator in the foreground."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Union

__all__ = ["build_parser", "main"]


def _latency(text: str) -> Union[float, tuple[float, float]]:
    try:
        parts = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SECONDS or MIN,MAX, got {text!r}") from None
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise argparse.ArgumentTypeError(f"expected SECONDS or MIN,MAX, got {text!r}")


def _error_rate(text: str) -> tuple[int, float]:
    status, equals, rate = text.partition("=")
    try:
        if not equals:
            raise ValueError
        return int(status), float(rate)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected STATUS=RATE, got {text!r}") from None


def _rate_limit(text: str) -> tuple[int, float]:
    count, slash, seconds = text.partition("/")
    try:
        return int(count), float(seconds) if slash else 1.0
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N/SECONDS, got {text!r}") from None


def build_parser(prog: str = "segments-orm emulator") -> argparse.ArgumentParser:
    """Build the argument parser of the ``emulator`` command."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a local emulator of the Segments.ai API until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument(
        "--db", default=":memory:", help="SQLite file that keeps the state (default: memory)"
    )
    parser.add_argument(
        "--seed",
        metavar="FILE|N",
        help="JSON file of users and organizations to create; an integer that names no file"
        " seeds the fault generator instead (like --fault-seed)",
    )
    parser.add_argument(
        "--release-delay", type=float, default=0.2, help="seconds a release stays PENDING"
    )
    faults = parser.add_argument_group("fault injection")
    faults.add_argument("--latency", type=_latency, help="SECONDS or MIN,MAX added per request")
    faults.add_argument(
        "--error-rate",
        type=_error_rate,
        action="append",
        default=[],
        metavar="STATUS=RATE",
        help="inject a status with a probability, e.g. 429=0.1 (repeatable)",
    )
    faults.add_argument("--drop-rate", type=float, default=0.0, help="hang up before answering")
    faults.add_argument(
        "--drop-after-commit-rate", type=float, default=0.0, help="hang up after writing"
    )
    faults.add_argument("--retry-after", type=int, default=1, help="Retry-After of injected 429s")
    faults.add_argument("--fault-seed", type=int, help="seed of the fault generator")
    faults.add_argument(
        "--fault-route",
        action="append",
        metavar="GLOB",
        help="path pattern the faults apply to (repeatable; default all)",
    )
    faults.add_argument(
        "--rate-limit", type=_rate_limit, metavar="N/SECONDS", help="per-key request limit"
    )
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    """Run the ``emulator`` command; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.seed is not None and not os.path.exists(args.seed):
        try:
            args.fault_seed, args.seed = int(args.seed), None
        except ValueError:
            print(f"error: no seed file {args.seed!r}", file=sys.stderr)
            return 2
    from segments_orm.emulator import EmulatorServer, Faults

    faults = None
    wants_faults = (
        args.latency is not None or args.error_rate or args.drop_rate or args.drop_after_commit_rate
    )
    try:
        if wants_faults:
            faults = Faults(
                latency=args.latency,
                error_rates=dict(args.error_rate),
                drop_rate=args.drop_rate,
                drop_after_commit_rate=args.drop_after_commit_rate,
                retry_after=args.retry_after,
                seed=args.fault_seed,
                routes=args.fault_route,
            )
        server = EmulatorServer(
            db=args.db,
            faults=faults,
            host=args.host,
            port=args.port,
            seed=args.seed,
            release_delay=args.release_delay,
        )
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.rate_limit is not None:
        server.emulator.rate_limit = args.rate_limit
    try:
        server.start()
    except OSError as error:
        server.emulator.close()
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    print(f"Segments.ai emulator serving at {server.url}", flush=True)
    print(f"API key of user 'demo': {server.api_key}", flush=True)
    print(f"  export SEGMENTS_API_URL={server.url} SEGMENTS_API_KEY={server.api_key}", flush=True)
    if faults is not None:
        print(f"Faults: {faults!r}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        _wait_forever()
    except KeyboardInterrupt:
        print("Stopping.", flush=True)
    finally:
        server.stop()
    return 0


def _wait_forever() -> None:
    import signal
    import threading

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A service manager stops with SIGTERM: shut down as cleanly as on Ctrl-C.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)
    stop = threading.Event()
    while not stop.wait(3600):
        pass


if __name__ == "__main__":
    sys.exit(main())
