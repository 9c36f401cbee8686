"""Entry point of the `striate` command: parses the sub-command and reports errors in one line."""

from __future__ import annotations

import argparse
import sys

from . import train, tune


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="striate", description="Convolutional neural networks on NumPy.")
    sub = parser.add_subparsers(dest="command", required=True)
    train.add_parser(sub)
    tune.add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("striate: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError) as e:
        print(f"striate {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
