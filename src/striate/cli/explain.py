"""`striate explain`: the arithmetic of convolution, pooling, ReLU, softmax, backprop and Winograd's
fast convolution, step by step."""

from __future__ import annotations

from .. import explain as lessons
from .common import add_command

EXAMPLE = """striate explain conv
striate explain conv --input "1 2 0; 0 1 3; 2 2 1" --kernel "1 0; 0 -1"
striate explain pool --mode avg
striate explain softmax --input "3 1 0.2" --label 1
striate explain backward
striate explain winograd --input "1 2 0 1; 0 1 3 2; 2 1 0 1; 1 0 2 3" --kernel "1 2 1; 0 1 0; -1 0 1"
striate explain winograd --tile 4"""


def add_parser(sub) -> None:
    p = add_command(sub, "explain", "write out the arithmetic of a CNN operation step by step", EXAMPLE,
                    description="Write out the arithmetic of a CNN operation step by step. By default on the "
                                "classic examples: a 3×3 kernel over a 5×5 image, 2×2 max pooling of a 4×4 grid, "
                                "where the gradients go on the way back, and why Winograd's fast convolution "
                                "needs 16 multiplications where the direct sums need 36.")
    p.add_argument("topic", choices=list(lessons.TOPICS), help="what to explain")
    p.add_argument("--input", metavar="MATRIX", help='the input, rows separated by ";", e.g. "1 0 2; 3 1 0"')
    p.add_argument("--kernel", metavar="MATRIX", help="conv, backward and winograd: the kernel (winograd: 3×3)")
    p.add_argument("--grad", metavar="MATRIX", help="relu and backward: the upstream gradient dy")
    p.add_argument("--stride", type=int, help="conv and pool: the stride (conv default 1, pool: the window)")
    p.add_argument("--padding", type=int, help="conv: zeros added on each side (default 0)")
    p.add_argument("--size", type=int, help="pool and backward: the pooling window (default 2)")
    p.add_argument("--mode", choices=["max", "avg"], help="pool: max (the default) or average")
    p.add_argument("--label", type=int, help="softmax: the true class (default 0)")
    p.add_argument("--steps", type=int, metavar="N", help="conv and pool: write out only the first N positions")
    p.add_argument("--tile", type=int, choices=[2, 4],
                   help="winograd: the output tile m of F(m×m, 3×3): 2 (a 4×4 --input, the default) or 4 (6×6)")
    p.set_defaults(run=run)


# the options each topic reads; any other one given is refused rather than ignored
USES = {"conv": ("input", "kernel", "stride", "padding", "steps"), "pool": ("input", "size", "stride", "mode", "steps"),
        "relu": ("input", "grad"), "softmax": ("input", "label"), "backward": ("input", "kernel", "grad", "size"),
        "winograd": ("input", "kernel", "tile")}
DEFAULTS = {"padding": 0, "size": 2, "mode": "max", "label": 0, "tile": 2}


def run(args) -> int:
    uses = USES[args.topic]
    options = ("input", "kernel", "grad", "stride", "steps", *DEFAULTS)
    given = [name for name in options if getattr(args, name) is not None]
    if unused := [name for name in given if name not in uses]:
        raise ValueError(f"explain {args.topic}: {', '.join('--' + n for n in unused)} "
                         f"{'does' if len(unused) == 1 else 'do'} not apply; it takes "
                         f"{', '.join('--' + n for n in uses)}")
    for name, value in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    def matrix(option):
        text = getattr(args, option)
        return None if text is None else lessons.parse_matrix(text, f"--{option}")

    x, kernel, grad = matrix("input"), matrix("kernel"), matrix("grad")
    if args.topic == "conv":
        text = lessons.conv(x, kernel, args.stride or 1, args.padding, args.steps)
    elif args.topic == "pool":
        text = lessons.pool(x, args.size, args.stride, args.mode, args.steps)
    elif args.topic == "relu":
        text = lessons.relu(x, grad)
    elif args.topic == "softmax":
        text = lessons.softmax(None if x is None else x.ravel(), args.label)
    elif args.topic == "winograd":
        text = lessons.winograd(x, kernel, args.tile)
    else:  # backward: --input/--kernel/--grad describe the convolution; pooling keeps its example
        text = lessons.backward(x=x, kernel=kernel, dy=grad, size=args.size)
    print(text)
    return 0
