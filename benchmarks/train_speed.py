"""Training speed only: LeNet-5 and the 4-conv net, striate against PyTorch.

    python -m benchmarks.train_speed [--threads 2] [--repeats 5]

The same as `python -m benchmarks --only train`; see benchmarks/__main__.py.
"""

from .__main__ import main

if __name__ == "__main__":
    import sys

    main(["--only", "train", *sys.argv[1:]])
