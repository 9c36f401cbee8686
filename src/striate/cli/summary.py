"""`striate summary`: the layer table, with the arithmetic of every shape and parameter count."""

from __future__ import annotations

import dataclasses
import json

from .. import arithmetic
from .common import add_command, at_fixed_size, load_model, model_argument, shape

EXAMPLE = """striate summary lenet5
striate summary seed-table --input-shape 32x32x3
striate summary net.toml
striate summary lenet.striate --json"""


def add_parser(sub) -> None:
    p = add_command(sub, "summary", "show a model's layers with the arithmetic of sizes, parameters, "
                    "receptive fields, FLOPs and memory", EXAMPLE)
    model_argument(p)
    p.add_argument("--input-shape", type=shape, metavar="HxWxC", help="input size for a built-in model or config")
    p.add_argument("--classes", type=int, help="outputs of a built-in model (default 10)")
    p.add_argument("--json", action="store_true", help="print the arithmetic as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    model, note = at_fixed_size(load_model(args.model, args.input_shape, args.classes, note=False))
    if note and not args.json:
        print(f"note: {note}")
    if args.json:
        rows = [dataclasses.asdict(r) for r in arithmetic.analyse(model)]
        print(json.dumps({"model": args.model, "input_shape": list(model.input_shape),
                          "params": model.count_params(), "layers": rows}))
    else:
        print(f"{args.model}: {model.count_params():,} parameters, input {'×'.join(map(str, model.input_shape))}")
        print()
        print(arithmetic.report(model))
    return 0
