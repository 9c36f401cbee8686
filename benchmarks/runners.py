"""One timed job per (library, workload): each returns a function that does the work once.

striate is driven through its public API (`Sequential.fit`, `Sequential.predict`), PyTorch
through the loop its users write (zero_grad / forward / loss / backward / step, and
`torch.no_grad()` for inference).
"""

from __future__ import annotations

import numpy as np

import striate

from .workloads import striate_model, torch_model


def striate_train(name, batch, x, y):
    model = striate_model(name)
    model.compile(striate.optim.SGD(lr=0.01, momentum=0.9), "cross_entropy")
    return lambda: model.fit(x, y, epochs=1, batch_size=batch, shuffle=True, verbose=0)


def torch_train(name, batch, x, y):
    import torch

    net = torch_model(name)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    ty = torch.from_numpy(y)

    def run():
        perm = torch.randperm(len(tx))
        for start in range(0, len(tx), batch):
            idx = perm[start : start + batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(tx[idx]), ty[idx]).backward()
            opt.step()
    return run


def striate_predict(name, batch, x):
    model = striate_model(name)
    if batch == 1:
        return lambda: [model.predict(x[i : i + 1], batch_size=1) for i in range(len(x))]
    return lambda: model.predict(x, batch_size=batch)


def torch_predict(name, batch, x):
    import torch

    net = torch_model(name).eval()
    tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))

    def run():
        with torch.no_grad():
            return [net(tx[i : i + batch]) for i in range(0, len(tx), batch)]
    return run
