"""The ``brainhost`` command line."""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Sequence

_PROCESS_STARTED = time.perf_counter()

from app.commands import genome as genome_commands  # noqa: E402  (after the start stamp)

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    # Importing the service creates over 100,000 objects that live as long as the process and
    # hardly any garbage, yet triggers ~200 collections rescanning them: a tenth of the
    # start-up. So no collections until the app is built; then the objects move to the
    # permanent generation (gc.freeze), where no later collection scans them either.
    gc.disable()
    try:
        import structlog

        from app.logging_setup import configure_logging
        from app.main import create_app
        from app.server import Server, server_config
        from app.settings import SettingsError, load_settings

        try:
            settings = load_settings()
        except SettingsError as exc:
            for problem in exc.problems:
                print(f"brainhost: configuration error: {problem}", file=sys.stderr)
            return 2
        configure_logging(settings.log_level, settings.log_format)
        server = Server(
            server_config(create_app(settings), settings),
            process_started=_PROCESS_STARTED,
            log=structlog.get_logger("brainhost.server"),
        )
    finally:
        gc.freeze()
        gc.enable()
    server.run()
    # uvicorn leaves `started` false when the lifespan startup or the bind failed.
    return 0 if server.started else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every ``brainhost`` subcommand."""
    parser = argparse.ArgumentParser(
        prog="brainhost", description="Host many FEAGI-format brains for many workspaces."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser(
        "serve", help="run the HTTP/websocket service (settings from BRAINHOST_* variables)"
    )
    serve.set_defaults(handler=_serve)
    genome_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``brainhost`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
