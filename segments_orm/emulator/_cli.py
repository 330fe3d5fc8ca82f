"""``segments-orm emulator``: serve the emulator in the foreground, or add accounts to its db.

``segments-orm emulator add-user NAME --db FILE`` and ``add-key NAME --db FILE`` change the
database of a sandbox, also while a server runs on it: the server reads accounts and keys
from the database on every request.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Optional, Union

__all__ = ["build_account_parser", "build_parser", "main"]


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


_ACCOUNT_COMMANDS = ("add-user", "add-key")


def build_parser(prog: str = "segments-orm emulator") -> argparse.ArgumentParser:
    """Build the argument parser of the ``emulator`` command."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a local emulator of the Segments.ai API until Ctrl-C.",
        epilog="Accounts: `segments-orm emulator add-user NAME --db FILE` creates a user and "
        "prints their key; `add-key NAME --db FILE` issues another key (see their --help).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument(
        "--db", default=":memory:", help="SQLite file that keeps the state (default: memory)"
    )
    parser.add_argument(
        "--seed",
        metavar="FILE|N",
        help="JSON file of users and organizations to create where missing (a restart with"
        " the same seed is fine); an integer that names no file seeds the fault generator"
        " instead (like --fault-seed)",
    )
    parser.add_argument(
        "--release-delay", type=float, default=0.2, help="seconds a release stays PENDING"
    )
    parser.add_argument(
        "--signed-url-ttl",
        type=float,
        default=None,
        metavar="SECONDS",
        help="lifetime of presigned upload forms and signed release URLs (default 3600)",
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


def build_account_parser(command: str) -> argparse.ArgumentParser:
    """Build the parser of ``emulator add-user`` or ``emulator add-key``."""
    new_user = command == "add-user"
    parser = argparse.ArgumentParser(
        prog=f"segments-orm emulator {command}",
        description=(
            "Create a user in a sandbox's database and print their API key (once)."
            if new_user
            else "Issue another API key for an existing user of a sandbox and print it (once)."
        )
        + " Works while a server runs on that database.",
    )
    parser.add_argument("username", metavar="NAME", help="the username")
    parser.add_argument("--db", required=True, help="the sandbox's SQLite file")
    if new_user:
        parser.add_argument("--email", help="their email (default NAME@example.com)")
    return parser


def _account_main(command: str, argv: list[str]) -> int:
    from segments_orm.emulator import _admin

    args = build_account_parser(command).parse_args(argv)
    try:
        store = _admin.open_existing(args.db)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        with store.transaction() as tx:
            if command == "add-user":
                email = args.email or f"{args.username}@example.com"
                _admin.insert_user(tx, args.username, email, organization=False)
            key = _admin.insert_key(tx, args.username, None)
    except ValueError as error:
        hint = ""
        if command == "add-user" and "taken" in str(error):
            hint = (
                f"; for another key: segments-orm emulator add-key {args.username} --db {args.db}"
            )
        print(f"error: {error}{hint}", file=sys.stderr)
        return 2
    finally:
        store.close()
    # The key alone on stdout, so that KEY=$(segments-orm emulator add-user ...) works.
    what = "Created user" if command == "add-user" else "Issued another API key for"
    print(f"{what} {args.username!r} in {args.db}; the key (shown once):", file=sys.stderr)
    print(key, flush=True)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """Run the ``emulator`` command; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] and argv[0] in _ACCOUNT_COMMANDS:
        return _account_main(argv[0], argv[1:])
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
            release_delay=args.release_delay,
        )
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    seeded = None
    if args.seed is not None:
        try:
            seeded = server.emulator.load_seed(args.seed)
        except ValueError as error:
            server.emulator.close()
            print(f"error: {error}", file=sys.stderr)
            return 2
    if args.rate_limit is not None:
        server.emulator.rate_limit = args.rate_limit
    if args.signed_url_ttl is not None:
        server.emulator.signed_url_ttl = args.signed_url_ttl
    try:
        server.start()
    except OSError as error:
        server.emulator.close()
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    print(f"Segments.ai emulator serving at {server.url}", flush=True)
    print(f"API key of user 'demo': {server.api_key}", flush=True)
    print(f"  export SEGMENTS_API_URL={server.url} SEGMENTS_API_KEY={server.api_key}", flush=True)
    if seeded is not None:
        print(f"Seed {args.seed}: {_seed_summary(seeded)}", flush=True)
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


def _seed_summary(report: Any) -> str:
    parts = [
        f"{len(report.users)} user(s)",
        f"{len(report.keys)} key(s)",
        f"{len(report.organizations)} organization(s)",
        f"{len(report.members)} membership(s)",
    ]
    if not report.changed:
        return "already applied, nothing to add"
    return "added " + ", ".join(parts)


def _wait_forever() -> None:
    import signal
    import threading

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A service manager stops with SIGTERM: shut down as cleanly as on Ctrl-C.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)
    stop = threading.Event()
    # Woken every half second: a signal that the kernel hands to another thread (a server
    # thread) does not interrupt this wait, and its handler runs only when this thread
    # next runs Python code.
    while not stop.wait(0.5):
        pass


if __name__ == "__main__":
    sys.exit(main())
