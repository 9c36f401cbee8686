"""Entry point of the `striate` command: parses the sub-command and reports errors in one line."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback

from ..engine import mpi
from ..errors import TrainingDiverged
from . import (convolve, evaluate, explain, export, features, filters, gradcheck, predict, serve, summary,
               train, tune)

COMMANDS = [train, evaluate, predict, summary, filters, features, convolve, explain, serve, gradcheck, export, tune]
EXAMPLE = """example:
  striate train --dataset mnist --epochs 3 --out lenet.striate
  striate evaluate lenet.striate --dataset mnist --plots eval/
  striate explain conv
Run `striate COMMAND --help` for each command's options and an example."""


class Parser(argparse.ArgumentParser):
    """argparse, with a mistake in the arguments as one line (no usage text before it)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def version() -> str:
    import numpy

    from .. import __version__

    return f"striate {__version__} (Python {sys.version.split()[0]}, NumPy {numpy.__version__})"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="striate", description="Convolutional neural networks on NumPy: "
                    "train, evaluate, look inside, and see the arithmetic.",
                    epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=version())
    parser.add_argument("--debug", action="store_true", help="show the full traceback when something goes wrong")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None) -> int:
    code, every_rank = run_command(argv)
    if code and not every_rank and (comm := mpi.current()) is not None and comm.size > 1:
        comm.fail(f"striate exits with status {code}", code)  # the other ranks would wait for ever
    return code


def parse(argv=None) -> argparse.Namespace:
    """The command line parsed. Under mpiexec every rank parses the same one, so only the
    first shows a mistake in it (or --help): one message for the job."""
    if mpi.launched_size() > 1 and mpi.launched_rank() > 0:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            return build_parser().parse_args(argv)
    return build_parser().parse_args(argv)


def run_command(argv=None) -> tuple[int, bool]:
    """The command argv names, run: its exit status (errors reported in one line), and whether
    the error was raised on every MPI rank alike (then rank 0 alone reports it, and no rank
    is left waiting: the job need not be aborted)."""
    try:
        args = parse(argv)
        return args.run(args) or 0, False
    except BrokenPipeError:  # the reader stopped early (`striate summary lenet5 | head`): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the final flush at exit does not fail again
        return 141, False  # what a shell reports for a process stopped by SIGPIPE
    except KeyboardInterrupt:
        print("striate: interrupted", file=sys.stderr)
        return 130, False
    except (ValueError, OSError, RuntimeError, ImportError, TrainingDiverged, MemoryError) as e:
        every_rank = getattr(e, "every_rank", False)
        if every_rank and (comm := mpi.current()) is not None and comm.rank > 0:
            return 1, True
        if args.debug:
            traceback.print_exc()
        print(f"striate {args.command}: error: {message(e)}", file=sys.stderr)
        return 1, every_rank
    except Exception as e:  # a bug in striate: still one line, with the way to the details
        if args.debug:
            traceback.print_exc()
        hint = "" if args.debug else "; run with --debug for the traceback"
        print(f"striate {args.command}: internal error: {type(e).__name__}: {e}{hint}", file=sys.stderr)
        return 2, False


def message(e: BaseException) -> str:
    """What went wrong: an OSError from the system as "PATH: reason", others as their text."""
    if isinstance(e, mpi.RanksStopped) and e.__cause__ is not None:  # this rank's own failure, shared with all
        return message(e.__cause__)
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}"
    if isinstance(e, MemoryError):  # NumPy's says "Unable to allocate 7.45 GiB for an array with shape ..."
        detail = str(e)
        return "not enough memory for this command" + (f": {detail[0].lower()}{detail[1:]}" if detail else "")
    return str(e) or type(e).__name__


if __name__ == "__main__":
    sys.exit(main())
