"""The tile transforms of Winograd's convolution, on many tiles and channels at once.

winograd_transforms.py holds the matrices Bᵀ, G, Aᵀ and transforms one tile; here the
same matrices transform a batch of images, laid out by phase: the (m+2)² positions of a
tile are the leading axis, so that each of the (m+2)² matrices (tiles, channels) that the
products read is contiguous::

    x (N, H, W, C) --pad_tiles--> xs (N, Hp, m, Wp/m, C)   column w = m·j + p at [.., p, j, ..]
    V = Bᵀ d B   xs --input_transform-->  V ((m+2)², N·th·tw, C)
    Y = Aᵀ M A   M ((m+2)², N·th·tw, F) --output_transform--> y (N, m·th, m·tw, F)
    dM = A dY Aᵀ dy --output_transform_backward--> dM ((m+2)², N·th·tw, F)
    U = G g Gᵀ   kernel (3, 3, C, F) --kernel_transform--> U ((m+2)², C, F)
    dg = Gᵀ dU G dU --kernel_transform_backward--> dkernel (3, 3, C, F)

th × tw tiles of m×m outputs cover the output (th = ⌈Ho/m⌉); the input tile (i, j) is
the (m+2)×(m+2) window at rows m·i…, columns m·j…. Splitting the columns by their phase
(w mod m) once, while padding, makes every slice below a run of tw·C contiguous numbers
instead of C numbers every m·C.

Each transform is a few adds and subtracts of whole slices (`combine`): a matrix
product with entries 0 and ±1 would multiply by them.
"""

from __future__ import annotations

import numpy as np

from .winograd_transforms import TRANSFORMS
from .workspace import buffer


def nonzero_rows(matrix):
    """Each row of a transform matrix as its nonzero terms ((column, coefficient), ...)."""
    return tuple(tuple((k, float(c)) for k, c in enumerate(row) if c != 0) for row in matrix)


# m → the rows of Bᵀ, Aᵀ and A = (Aᵀ)ᵀ as nonzero terms, worked out once (the calls are many and short)
ROWS = {m: {"bt": nonzero_rows(bt), "at": nonzero_rows(at), "a": nonzero_rows(at.T)}
        for m, (bt, _, at) in TRANSFORMS.items()}


def combine(row, parts, out) -> None:
    """out = Σ c · parts[k] over a row's nonzero terms (k, c), in as few ufunc calls as it takes."""
    terms = [(c, parts[k]) for k, c in row]
    (c0, p0), rest = terms[0], terms[1:]
    if rest and c0 == 1 and abs(rest[0][0]) == 1:
        (np.add if rest[0][0] == 1 else np.subtract)(p0, rest[0][1], out=out)
        rest = rest[1:]
    elif rest and c0 == -1 and rest[0][0] == 1:
        np.subtract(rest[0][1], p0, out=out)
        rest = rest[1:]
    elif c0 == 1:
        np.copyto(out, p0)
    elif c0 == -1:
        np.negative(p0, out=out)
    else:
        np.multiply(p0, c0, out=out)
    for c, p in rest:
        if c == 1:
            np.add(out, p, out=out)
        elif c == -1:
            np.subtract(out, p, out=out)
        else:
            out += c * p


def tiles_hw(out_hw, m: int):
    """(th, tw): tiles of m×m outputs covering (Ho, Wo)."""
    return -(-out_hw[0] // m), -(-out_hw[1] // m)


def pad_tiles(x, padding, m: int, workspace=None, name: str = "wino_pad"):
    """x (N, H, W, C) zero-padded and split by column phase → xs (N, m·th + 2, m, tw + 1, C).

    xs[n, h, p, j] is padded pixel (h, m·j + p); rows and columns past the padding (up to
    whole tiles) are zeros. Padding may be negative (that many rows or columns cropped).
    With a workspace the buffer is reused and only its interior written.
    """
    n, h, w, c = x.shape
    (t, b), (l, r) = padding
    if min(t, b, l, r) < 0:  # crop first, then pad by what is left
        x = x[:, max(-t, 0): h - max(-b, 0), max(-l, 0): w - max(-r, 0)]
        n, h, w, c = x.shape
        t, b, l, r = max(t, 0), max(b, 0), max(l, 0), max(r, 0)
    th, tw = tiles_hw((h + t + b - 2, w + l + r - 2), m)
    xs = buffer(workspace, name, (n, m * th + 2, m, tw + 1, c), x.dtype, fill=0, tag=(t, l, h, w))
    for p in range(m):
        w0 = (p - l) % m  # the first column of x that lands in phase p
        if w0 < w:
            j0 = (l + w0) // m
            xs[:, t: t + h, p, j0: j0 + len(range(w0, w, m))] = x[:, :, w0::m]
    return xs, (th, tw)


def input_transform(xs, tiles, m: int, out, scratch) -> None:
    """V = Bᵀ d B for every tile of xs (nc, Hp, m, tw + 1, C) → out ((m+2)², nc·th·tw, C).

    Rows first (a row-phase combination of strided row slices, into scratch
    ((m+2), nc, th, m, tw + 1, C)), then columns (a combination of column slices).
    """
    bt = ROWS[m]["bt"]
    th, tw = tiles
    s = m + 2
    rows = [xs[:, k: k + m * th: m] for k in range(s)]  # (nc, th, m, tw + 1, C) each
    for a in range(s):
        combine(bt[a], rows, scratch[a])
    cols = [scratch[:, :, :, k % m, k // m: k // m + tw] for k in range(s)]  # (s, nc, th, tw, C)
    v = out.reshape(s, s, *cols[0].shape[1:])
    for b in range(s):
        combine(bt[b], cols, v[:, b])


def output_transform(mm, tiles, m: int, y6, scratch) -> None:
    """Y = Aᵀ M A: mm ((m+2)², nc·th·tw, F) → y6 (nc, th, m, tw, m, F), a view of y.

    Rows first into scratch (m, m+2, nc·th·tw, F), then columns into y's pixels.
    """
    at = ROWS[m]["at"]
    s = m + 2
    mm = mm.reshape(s, s, *mm.shape[1:])
    for i in range(m):
        combine(at[i], mm, scratch[i])
    shape = y6[:, :, 0, :, 0].shape
    for i in range(m):
        parts = scratch[i].reshape(s, *shape)
        for j in range(m):
            combine(at[j], parts, y6[:, :, i, :, j])


def output_transform_backward(dy6, m: int, out, scratch) -> None:
    """dM = A dY Aᵀ (the transpose of output_transform): dy6 (nc, th, m, tw, m, F) →
    out ((m+2)², nc·th·tw, F); scratch (m, m+2, nc·th·tw, F)."""
    a = ROWS[m]["a"]
    s = m + 2
    shape = dy6[:, :, 0, :, 0].shape
    for i in range(m):
        parts = [dy6[:, :, i, :, j] for j in range(m)]
        for b in range(s):
            combine(a[b], parts, scratch[i, b].reshape(shape))
    dm = out.reshape(s, s, *out.shape[1:])
    for r in range(s):
        combine(a[r], scratch, dm[r])


def kernel_transform(kernel, m: int):
    """U = G g Gᵀ for every (c, f): kernel (3, 3, C, F) → ((m+2)², C, F)."""
    g = TRANSFORMS[m][1].astype(kernel.dtype)
    u = np.tensordot(g, np.tensordot(g, kernel, axes=(1, 1)), axes=(1, 1))  # (a, b, C, F)
    return np.ascontiguousarray(u.reshape(-1, *kernel.shape[2:]))


def kernel_transform_backward(du, m: int):
    """dg = Gᵀ dU G for every (c, f): du ((m+2)², C, F) → dkernel (3, 3, C, F)."""
    g = TRANSFORMS[m][1].astype(du.dtype)
    s = m + 2
    du = du.reshape(s, s, *du.shape[1:])
    return np.ascontiguousarray(np.tensordot(g, np.tensordot(g, du, axes=(0, 1)), axes=(0, 1)))


# F(2×2, 3×3), the method the table picks, written out: the same transforms as above with
# the 0/±1 rows of Bᵀ and Aᵀ spelt as adds, two rows at a time where their slices pair up
# (Bᵀ's rows 0 and 3 are r0 − r2 and r1 − r3: one subtraction of the pairs (r0, r1) and
# (r2, r3)). Fewer, longer NumPy calls: 6 for V instead of 8, 8 for y instead of 12.

def input_transform2(xs, tiles, out, scratch) -> None:
    """input_transform for m = 2: xs (nc, 2·th + 2, 2, tw + 1, C) → out (16, nc·th·tw, C)."""
    nc = xs.shape[0]
    th, tw = tiles
    c = xs.shape[-1]
    r01 = xs[:, 0: 2 * th].reshape(nc, th, 2, -1)  # rows 2i, 2i + 1 of every tile i
    r23 = xs[:, 2: 2 * th + 2].reshape(nc, th, 2, -1)  # rows 2i + 2, 2i + 3
    t = scratch.reshape(nc, th, 4, -1)  # Bᵀ d: (nc, th, row a, 2·(tw + 1)·C)
    np.subtract(r01, r23, out=t[:, :, 0::3])  # a = 0, 3: r0 − r2, r1 − r3
    np.add(r01[:, :, 1], r23[:, :, 0], out=t[:, :, 1])  # r1 + r2
    np.subtract(r23[:, :, 0], r01[:, :, 1], out=t[:, :, 2])  # r2 − r1
    t = t.reshape(nc, th, 4, 2, tw + 1, c)  # columns by phase: column 2j + p at [..., p, j, :]
    c01, c23 = t[:, :, :, :, 0:tw], t[:, :, :, :, 1:tw + 1]  # (nc, th, 4, 2, tw, C): columns 0, 1 and 2, 3
    v = out.reshape(4, 4, nc, th, tw, c).transpose(2, 3, 0, 1, 4, 5)  # (nc, th, a, b, tw, C)
    np.subtract(c01, c23, out=v[:, :, :, 0::3])  # b = 0, 3
    np.add(c01[:, :, :, 1], c23[:, :, :, 0], out=v[:, :, :, 1])
    np.subtract(c23[:, :, :, 0], c01[:, :, :, 1], out=v[:, :, :, 2])


def output_transform2(mm, y6, scratch) -> None:
    """output_transform for m = 2: mm (16, nc·th·tw, F) → y6 (nc, th, 2, tw, 2, F)."""
    mm = mm.reshape(4, 4, *y6[:, :, 0, :, 0].shape)  # (a, b, nc, th, tw, F)
    z = scratch.reshape(2, 4, *mm.shape[2:])  # Aᵀ M: (i, b, nc, th, tw, F)
    np.add(mm[0], mm[1], out=z[0])
    np.add(z[0], mm[2], out=z[0])  # M0 + M1 + M2
    np.subtract(mm[1], mm[2], out=z[1])
    np.subtract(z[1], mm[3], out=z[1])  # M1 − M2 − M3
    z = z.transpose(0, 2, 3, 1, 4, 5)  # both rows i at once: y6[:, :, i, :, j] ← z[i, b]
    y_i = y6.transpose(2, 0, 1, 3, 4, 5)  # (i, nc, th, tw, j, F)
    np.add(z[:, :, :, 0], z[:, :, :, 1], out=y_i[..., 0, :])
    np.add(y_i[..., 0, :], z[:, :, :, 2], out=y_i[..., 0, :])
    np.subtract(z[:, :, :, 1], z[:, :, :, 2], out=y_i[..., 1, :])
    np.subtract(y_i[..., 1, :], z[:, :, :, 3], out=y_i[..., 1, :])


# output_transform_backward2 leaves row and column 3 of every dM tile with the wrong sign
# (A's row 3 is (0, −1): a copy is cheaper than a negation); dU then gets it back.
DM_SIGNS2 = np.outer([1, 1, 1, -1], [1, 1, 1, -1]).reshape(16, 1, 1)


def output_transform_backward2(dy6, out) -> None:
    """output_transform_backward for m = 2, up to DM_SIGNS2: dy6 (nc, th, 2, tw, 2, F) →
    out (16, nc·th·tw, F)."""
    dm = out.reshape(4, 4, *dy6[:, :, 0, :, 0].shape)  # (a, b, nc, th, tw, F)
    w = dm[0::3].transpose(2, 3, 0, 4, 1, 5)  # rows a = 0, 3 ← dY rows i = 0, 1: (nc, th, i, tw, b, F)
    np.copyto(w[..., 0::3, :], dy6)  # b = 0, 3 ← dY0, (−)dY1
    np.add(dy6[..., 0, :], dy6[..., 1, :], out=w[..., 1, :])
    np.subtract(dy6[..., 0, :], dy6[..., 1, :], out=w[..., 2, :])
    np.add(dm[0], dm[3], out=dm[1])  # A's rows 1, 2 on the columns: W0 + W1, W0 − W1
    np.subtract(dm[0], dm[3], out=dm[2])
