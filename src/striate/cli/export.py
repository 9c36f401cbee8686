"""`striate export`: a model file as ONNX, for onnxruntime and other frameworks."""

from __future__ import annotations

from .. import onnx
from .common import add_command, load_model

EXAMPLE = "striate export lenet.striate lenet.onnx"


def add_parser(sub) -> None:
    p = add_command(sub, "export", "write a model as ONNX (needs the onnx package)", EXAMPLE)
    p.add_argument("model", metavar="MODEL.striate", help="a model file written by `striate train --out`")
    p.add_argument("out", metavar="OUT.onnx", help="where to write the ONNX file")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset to declare (13 or later; default 17)")
    p.set_defaults(run=run)


def run(args) -> int:
    model = load_model(args.model)
    onnx.export(model, args.out, opset=args.opset)
    shape = ", ".join(map(str, model.input_shape))
    print(f"wrote {args.out}: input \"input\" (N, {shape}) channels-last, output \"output\" "
          f"(N, {', '.join(map(str, model.output_shape))}), opset {args.opset}")
    return 0
