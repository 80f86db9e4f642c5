"""``brainhost genome ...``: command-line tools for FEAGI genome files.

``register`` adds a ``genome`` command with its own subcommands to the ``brainhost``
parser. Each subcommand stores its handler as ``handler`` (``args -> exit code``), the
convention of :mod:`app.cli`. More subcommands plug in by adding a ``_register_*``
function to ``_SUBCOMMANDS``; they can reuse :func:`add_limit_options` and
:func:`read_genome_file`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from brains.genome import (
    DEFAULT_LIMITS,
    Genome,
    GenomeLimits,
    GenomeValidationError,
    check_file_size,
    load_genome,
)

__all__ = [
    "GenomeFileError",
    "add_limit_options",
    "limits_from_args",
    "main",
    "read_genome_file",
    "register",
]


class GenomeFileError(Exception):
    """A genome file could not be read (missing, unreadable, too large)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``genome`` and its subcommands to a ``brainhost`` subparsers action."""
    genome = subparsers.add_parser("genome", help="validate and inspect FEAGI genome files")
    commands = genome.add_subparsers(dest="genome_command", required=True, metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(commands)


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """``--max-file-bytes``, ``--max-areas``, ``--max-neurons``, ``--max-synapses``."""
    group = parser.add_argument_group("limits")
    for option, default, what in (
        ("--max-file-bytes", DEFAULT_LIMITS.max_file_bytes, "genome file size in bytes"),
        ("--max-areas", DEFAULT_LIMITS.max_areas, "cortical areas"),
        ("--max-neurons", DEFAULT_LIMITS.max_neurons, "neurons (x*y*z*per-voxel, summed)"),
        ("--max-synapses", DEFAULT_LIMITS.max_synapses, "synapses (upper-bound estimate)"),
    ):
        group.add_argument(
            option, type=_positive_int, default=default, metavar="N", help=f"most {what}"
        )


def limits_from_args(args: argparse.Namespace) -> GenomeLimits:
    return GenomeLimits(
        max_file_bytes=args.max_file_bytes,
        max_areas=args.max_areas,
        max_neurons=args.max_neurons,
        max_synapses=args.max_synapses,
    )


def read_genome_file(path: str, limits: GenomeLimits) -> Genome:
    """Read, parse and validate a genome file.

    Raises :class:`GenomeFileError` when the file cannot be read and
    :class:`~brains.genome.GenomeValidationError` when its content is not a valid genome.
    The file is never read past the size limit.
    """
    try:
        with Path(path).open("rb") as stream:
            check_file_size(os.fstat(stream.fileno()).st_size, limits)
            # The cap also covers files whose size stat cannot tell (pipes, /proc).
            data = stream.read(limits.max_file_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise GenomeFileError(f"cannot read {path}: {reason}") from None
    return load_genome(data, limits=limits)


def _register_validate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser(
        "validate",
        help="check a genome file; exit 0 when valid, else 1 listing every error",
        description="Check a FEAGI genome file (flat 2.x or hierarchical blueprint). Prints "
        "every error on its own line as '<JSON path>: <message> [<rule>]'.",
    )
    validate.add_argument("file", metavar="FILE", help="genome JSON file")
    add_limit_options(validate)
    validate.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    try:
        genome = read_genome_file(args.file, limits_from_args(args))
    except GenomeFileError as exc:
        print(f"brainhost genome validate: {exc}", file=sys.stderr)
        return 1
    except GenomeValidationError as exc:
        for error in exc.errors:
            print(error)
        count = len(exc.errors)
        print(
            f"{args.file}: invalid genome ({count} error{'s' if count != 1 else ''})",
            file=sys.stderr,
        )
        return 1
    print(
        f"{args.file}: valid genome (version {genome.version}, {len(genome.areas)} cortical "
        f"areas, {genome.neuron_capacity} neurons, {len(genome.morphologies)} morphologies)",
    )
    return 0


def _register_stats(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser(
        "stats",
        help="develop a genome and print its areas, neurons and synapses",
        description="Develop a FEAGI genome (neuroembryogenesis, with the engine's core areas) "
        "and print the cortical area, neuron and synapse counts, in total and per area.",
    )
    stats.add_argument("file", metavar="FILE", help="genome JSON file")
    stats.add_argument("--seed", type=int, default=0, help="seed of random morphologies")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    add_limit_options(stats)
    stats.set_defaults(handler=_stats)


def _stats(args: argparse.Namespace) -> int:
    from brains.reports import develop_report

    genome = _read_or_report(args, "stats")
    if genome is None:
        return 1
    report = develop_report(genome, seed=args.seed)
    if args.json:
        print(json.dumps(report.as_dict()))
        return 0
    print(
        f"{report.cortical_areas} cortical areas, {report.neurons} neurons, "
        f"{report.synapses} synapses (developed in {report.develop_seconds * 1000:.1f} ms)"
    )
    width = max((len(cid) for cid in report.areas), default=4)
    print(f"{'area':<{width}}  {'neurons':>10}  {'synapses_out':>12}")
    for cid, area in report.areas.items():
        print(f"{cid:<{width}}  {area['neurons']:>10}  {area['synapses_out']:>12}")
    return 0


def _register_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="develop a genome and run bursts as fast as possible",
        description="Develop a genome, optionally force-fire every neuron of some areas "
        "before the first burst, run N bursts flat out and print what fired.",
    )
    run.add_argument("file", metavar="FILE", help="genome JSON file")
    run.add_argument("--bursts", type=_positive_int, required=True, metavar="N")
    run.add_argument(
        "--stimulate", action="append", default=[], metavar="AREA_ID",
        help="cortical id whose neurons all fire before the first burst (repeatable)",
    )
    run.add_argument("--seed", type=int, default=0, help="seed of development and dynamics")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    add_limit_options(run)
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from brains.brain import Brain
    from brains.reports import run_report

    genome = _read_or_report(args, "run")
    if genome is None:
        return 1
    brain = Brain.develop(genome, seed=args.seed)
    areas = brain.connectome.area_ids
    unknown = [cid for cid in args.stimulate if cid not in areas]
    if unknown:
        print(
            f"brainhost genome run: --stimulate {', '.join(unknown)}: no such cortical area "
            f"(the brain has {', '.join(areas)})",
            file=sys.stderr,
        )
        return 1
    report = run_report(brain, args.bursts, stimulate=args.stimulate).as_dict()
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        f"{report['bursts']} bursts in {report['seconds']:.3f} s "
        f"({report['bursts_per_s']:.0f} bursts/s), {report['synaptic_events']} synaptic events "
        f"({report['synaptic_events_per_s']:.3g}/s), {report['fired_last_burst']} fired in "
        "the last burst"
    )
    for number, fired in enumerate(report["fired_by_burst"], start=1):
        listing = ", ".join(f"{cid}={count}" for cid, count in fired.items()) or "-"
        print(f"burst {number:>3}: {listing}")
    return 0


def _read_or_report(args: argparse.Namespace, command: str) -> Genome | None:
    """The genome in ``args.file``, or None after printing why it cannot be used."""
    try:
        return read_genome_file(args.file, limits_from_args(args))
    except GenomeFileError as exc:
        print(f"brainhost genome {command}: {exc}", file=sys.stderr)
    except GenomeValidationError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"brainhost genome {command}: {args.file} is not a valid genome", file=sys.stderr)
    return None


_SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    _register_validate,
    _register_stats,
    _register_run,
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be >= 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``genome`` subcommands on their own (``python -m app.commands.genome``)."""
    parser = argparse.ArgumentParser(prog="brainhost")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
