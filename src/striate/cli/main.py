"""Entry point of the `striate` command: parses the sub-command and reports errors in one line."""

from __future__ import annotations

import argparse
import sys
import traceback

from . import (convolve, evaluate, explain, export, features, filters, gradcheck, predict, summary,
               train, tune)

COMMANDS = [train, evaluate, predict, summary, filters, features, convolve, explain, gradcheck, export, tune]
EXAMPLE = """example:
  striate train --dataset mnist --epochs 3 --out lenet.striate
  striate evaluate lenet.striate --dataset mnist --plots eval/
  striate explain conv
Run `striate COMMAND --help` for each command's options and an example."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="striate", description="Convolutional neural networks on NumPy: "
                                     "train, evaluate, look inside, and see the arithmetic.",
                                     epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show the full traceback when something goes wrong")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("striate: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError, ImportError) as e:
        if args.debug:
            traceback.print_exc()
        print(f"striate {args.command}: error: {message(e)}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug in striate: still one line, with the way to the details
        if args.debug:
            traceback.print_exc()
        hint = "" if args.debug else "; run with --debug for the traceback"
        print(f"striate {args.command}: internal error: {type(e).__name__}: {e}{hint}", file=sys.stderr)
        return 2


def message(e: BaseException) -> str:
    """What went wrong: an OSError from the system as "PATH: reason", others as their text."""
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}"
    return str(e) or type(e).__name__


if __name__ == "__main__":
    sys.exit(main())
