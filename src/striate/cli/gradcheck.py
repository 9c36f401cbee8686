"""`striate gradcheck`: every layer's gradients against finite differences, as a table."""

from __future__ import annotations

import json

from .. import gradcheck as checker
from .common import add_command, at_fixed_size, load_model, model_argument, shape

EXAMPLE = """striate gradcheck lenet5
striate gradcheck net.toml --samples 20
striate gradcheck lenet.striate --all"""


def add_parser(sub) -> None:
    p = add_command(sub, "gradcheck", "check a model's backward pass against finite differences", EXAMPLE,
                    description="Check every layer's input, weight and bias gradients against central finite "
                                "differences, in float64, on random inputs. An entry passes when its relative error is "
                                f"within {checker.TOLERANCE:g} or its absolute error within the rounding floor "
                                "of the finite differences; entries at a kink (ReLU at 0, tied maxima) are skipped. "
                                "Exits with status 1 if any entry fails.")
    model_argument(p)
    p.add_argument("--input-shape", type=shape, metavar="HxWxC", help="input size for a built-in model or config")
    p.add_argument("--samples", type=int, default=8, metavar="N", help="entries compared per tensor (default 8)")
    p.add_argument("--all", action="store_true", help="compare every entry (slow for large layers)")
    p.add_argument("--batch", type=int, default=2, help="random images in the batch (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.samples < 1 or args.batch < 1:
        raise ValueError(f"--samples and --batch must be ≥ 1, got {args.samples} and {args.batch}")
    model, note = at_fixed_size(load_model(args.model, args.input_shape, seed=args.seed, note=False))
    if note and not args.json:
        print(f"note: {note}")
    rows = checker.check(model, samples=None if args.all else args.samples, batch=args.batch, seed=args.seed)
    failed = [r for r in rows if not r.ok]
    if args.json:
        print(json.dumps({"model": args.model, "tolerance": checker.TOLERANCE, "ok": not failed, "checks": [
            {"layer": r.layer, "gradient": r.tensor, "shape": list(r.shape), "checked": r.checked,
             "at_kink": r.skipped, "max_relative_error": r.max_relative_error,
             "max_absolute_error": r.max_absolute_error, "rounding_floor": r.floor, "failed": r.failed,
             "ok": r.ok} for r in rows]}))
    else:
        print(f"{args.model}: float64, batch of {args.batch} random inputs, upstream gradient random")
        print(checker.table(rows))
        print(f"{len(rows) - len(failed)} of {len(rows)} gradients within a relative error of {checker.TOLERANCE:g} "
              "or the rounding floor"
              + (f"; FAILED: {', '.join(f'{r.layer} {r.tensor}' for r in failed)}" if failed else ""))
    return 1 if failed else 0
