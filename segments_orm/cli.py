"""The ``segments-orm`` command: ``tour``, ``shell`` and ``emulator``.

This module only parses arguments; the work is in `segments_orm.tour`, in the shell below,
and in `segments_orm.emulator`, each imported when its command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import MutableMapping
from typing import Any, Optional

__all__ = ["build_parser", "main"]

_SERVER_HELP = (
    "Without --api-url/--api-key (and without SEGMENTS_API_URL/SEGMENTS_API_KEY in the "
    "environment) it runs against a fresh embedded emulator: no account, no network."
)


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-url",
        metavar="URL",
        help="the API's root URL (default: SEGMENTS_API_URL, then https://api.segments.ai/)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help="your API key (better: set SEGMENTS_API_KEY, which stays out of the shell history)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``segments-orm`` command."""
    from segments_orm._version import __version__

    parser = argparse.ArgumentParser(
        prog="segments-orm",
        description="An object-style SDK for Segments.ai, with a local emulator of its API.",
    )
    parser.add_argument("--version", action="version", version=f"segments-orm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    tour = commands.add_parser(
        "tour",
        help="run a labeling session end to end, checking every step",
        description="Create a dataset, upload images, add samples and labels, filter, "
        "open and close an issue, add a collaborator, make and download a release, and "
        "print a summary; every step checks its result. Against a real server the tour "
        "works in a new dataset with a unique name and deletes it at the end. " + _SERVER_HELP,
    )
    _add_server_options(tour)
    tour.add_argument(
        "--collaborator",
        metavar="USERNAME",
        help="an existing user to add as a reviewer (on a real server; else that step is skipped)",
    )
    tour.add_argument(
        "--keep", action="store_true", help="keep the tour's dataset instead of deleting it"
    )

    shell = commands.add_parser(
        "shell",
        help="an interactive Python prompt with `client` bound",
        description="Start IPython (or the standard Python prompt) with `so` "
        "(segments_orm), `client`, and, on the emulator, `server` and a sample "
        "`dataset` with four images. " + _SERVER_HELP,
    )
    _add_server_options(shell)

    # Parsed by the emulator's own parser (segments-orm emulator --help).
    commands.add_parser(
        "emulator",
        help="serve the emulator of the API in the foreground (see: emulator --help)",
        add_help=False,
    )
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    """Run the ``segments-orm`` command line; return the exit status.

    Args:
        argv: The arguments after the program name (``sys.argv[1:]`` by default).
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["emulator"]:
        return _needs_emulator(lambda: _emulator_command(args_list[1:]))
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command == "tour":
        from segments_orm import tour

        return _needs_emulator(
            lambda: tour.main(
                api_url=args.api_url,
                api_key=args.api_key,
                collaborator=args.collaborator,
                keep=args.keep,
            )
        )
    if args.command == "shell":
        return _needs_emulator(lambda: _shell(args.api_url, args.api_key))
    parser.print_help()
    return 2


def _emulator_command(argv: list[str]) -> int:
    # Imported here, inside _needs_emulator: importing the emulator needs werkzeug.
    from segments_orm.emulator._cli import main as emulator_main

    return emulator_main(argv)


#: One line, with the command for an installed package and for a source checkout.
_NEEDS_EMULATOR = (
    "error: the emulator needs the 'emulator' extra: pip install 'segments-orm[emulator]'"
    " (in a source checkout: pip install -e '.[emulator]')"
)


def _needs_emulator(run: Any) -> int:
    try:
        return int(run())
    except ImportError as error:
        if not _lacks_werkzeug(error):
            raise
        print(_NEEDS_EMULATOR, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


def _lacks_werkzeug(error: BaseException) -> bool:
    """Tell whether ``error``, or an error it was raised from, is werkzeug missing."""
    seen: Optional[BaseException] = error
    for _ in range(10):  # an exception chain is short; the bound guards against a cycle
        if seen is None:
            return False
        if isinstance(seen, ModuleNotFoundError) and (seen.name or "").split(".")[0] == "werkzeug":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _configured(api_url: Optional[str], api_key: Optional[str]) -> bool:
    return any(
        (api_url, api_key, os.environ.get("SEGMENTS_API_URL"), os.environ.get("SEGMENTS_API_KEY"))
    )


def _shell(api_url: Optional[str], api_key: Optional[str]) -> int:
    import segments_orm as so

    with contextlib.ExitStack() as stack:
        if _configured(api_url, api_key):
            try:
                client = stack.enter_context(so.Client(api_key=api_key, api_url=api_url))
            except so.SegmentsError as error:  # no key, a malformed or plain-http URL
                print(f"error: {error}", file=sys.stderr)
                return 2
            namespace: dict[str, Any] = {"so": so, "client": client}
            banner = f"segments-orm {so.__version__}: `client` talks to {client.api_url.root}"
        else:
            namespace, banner = _embedded_session(stack, os.environ)
        _interact(namespace, banner)
    return 0


def _embedded_session(
    stack: contextlib.ExitStack, environ: MutableMapping[str, str]
) -> tuple[dict[str, Any], str]:
    """Start the shell's embedded emulator; return the names the shell binds and its banner.

    ``environ`` gets ``SEGMENTS_API_URL`` and ``SEGMENTS_API_KEY`` of the user ``demo``, so
    ``so.Client()`` and ``so.SegmentsClient()`` typed in the shell connect to the same
    emulator as ``client``. The docs tests run the pages that say "in segments-orm shell"
    with exactly this setup.

    Network: about a dozen requests, to the emulator on 127.0.0.1.
    """
    import segments_orm as so
    from segments_orm.emulator import EmulatorServer
    from segments_orm.tour import sample_dataset

    server = stack.enter_context(EmulatorServer())
    environ["SEGMENTS_API_URL"] = server.url
    environ["SEGMENTS_API_KEY"] = server.api_key
    client = stack.enter_context(so.Client(api_key=server.api_key, api_url=server.url))
    dataset = sample_dataset(client)
    namespace: dict[str, Any] = {"so": so, "client": client, "server": server, "dataset": dataset}
    banner = (
        f"segments-orm {so.__version__}, on an embedded emulator at {server.url}\n"
        f"  client   {client!r} (so.Client() here connects to it too)\n"
        f"  dataset  {dataset!r}\n"
        "  server   the emulator (server.emulator.add_user('john'), .faults, .stats)\n"
        "Try: dataset.samples.filter(label_status='LABELED').first()"
    )
    return namespace, banner


def _interact(namespace: dict[str, Any], banner: str) -> None:
    interactive = sys.stdin.isatty()
    if interactive:
        try:
            import IPython
        except ImportError:
            pass
        else:
            print(banner)
            IPython.start_ipython(argv=["--no-banner"], user_ns=namespace)
            return
    import code

    if not interactive:
        # Driven through standard input: print results only, not prompts.
        sys.ps1 = sys.ps2 = ""
    code.interact(banner=banner, local=namespace, exitmsg="")


if __name__ == "__main__":
    sys.exit(main())
