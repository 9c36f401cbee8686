"""`striate export`: a model file as ONNX, for onnxruntime and other frameworks."""

from __future__ import annotations

from .. import models, onnx
from .common import add_command, is_untrained, load_model

EXAMPLE = "striate export lenet.striate lenet.onnx"


def add_parser(sub) -> None:
    p = add_command(sub, "export", "write a model as ONNX (needs the onnx package)", EXAMPLE)
    p.add_argument("model", metavar="MODEL.striate", help="a model file written by `striate train --out`")
    p.add_argument("out", metavar="OUT.onnx", help="where to write the ONNX file")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset to declare (13 or later; default 17)")
    p.add_argument("--untrained", action="store_true",
                   help="allow a built-in model's name or a TOML config: its architecture with random, untrained "
                        "weights")
    p.set_defaults(run=run)


def run(args) -> int:
    if is_untrained(args.model) and not args.untrained:
        what = ("an untrained built-in model (random weights)" if args.model in models.MODELS
                else "a TOML config: its network has untrained, random weights")
        raise ValueError(f"{args.model!r} is {what}; export a file from `striate train --out FILE.striate`, or add "
                         "--untrained to export its architecture as it is")
    model = load_model(args.model, note=False)
    onnx.export(model, args.out, opset=args.opset)
    shape = ", ".join(map(str, model.input_shape))
    print(f"wrote {args.out}: input \"input\" (N, {shape}) channels-last, output \"output\" "
          f"(N, {', '.join(map(str, model.output_shape))}), opset {args.opset}")
    return 0
