"""The tile transforms of Winograd's convolution, on many tiles and channels at once.

winograd_transforms.py holds the matrices Bᵀ, G, Aᵀ and transforms one tile; here the
same matrices transform a chunk of images at once. th × tw tiles of m×m outputs cover the
output (th = ⌈Ho/m⌉); tile (i, j) reads the (m+2)×(m+2) window of the padded input at
rows m·i…, columns m·j…. The layouts are chosen so that every NumPy call below runs
over long contiguous stretches (NumPy copies short strided rows through a buffer first)::

    x (N, H, W, C) --pad_tiles--> xs (N, m, m, th+1, tw+1, C)   pixel (m·i + p, m·j + q) at [n, p, q, i, j]
    rows:     t (m, m+2, T', C)   t[q, a] = Σ_k Bᵀ[a, k] · xs[:, k mod m, q, i + k div m]
    columns:  V ((m+2)², T', C)   V[b, a] = Σ_l Bᵀ[b, l] · t[l mod m] shifted by (l div m) tiles
    M = V @ U ((m+2)², T', F)     U[b, a] = (G g Gᵀ)[a, b]   (kernel_transform)
    y = Aᵀ M A → y (N, m·th, m·tw, F) (output_transform); dM = A dY Aᵀ (its transpose)

T' = images · th · (tw + 1): every row of tiles carries one tile more than the output
needs, so that "the tile one to the right" is a plain shift of a flat array by C numbers
(one long subtraction, not th short ones); that extra tile's output is never read and its
gradient is zero. Positions run (b, a), the column index outermost, for the same reason.

Each transform is a few adds and subtracts of whole slices (`combine`): a matrix product
with entries 0 and ±1 would multiply by them. F(2×2, 3×3), the method the table picks, is
written out below with two rows of Bᵀ or Aᵀ at a time where their slices pair up.
"""

from __future__ import annotations

import numpy as np

from .winograd_transforms import TRANSFORMS
from .workspace import buffer, scratch


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
    """x (N, H, W, C) zero-padded and split by row and column phase → (xs (N, m, m, th + 1,
    tw + 1, C), (th, tw)): xs[n, p, q, i, j] is padded pixel (m·i + p, m·j + q).

    Rows and columns past the padding (up to whole tiles) are zeros. Padding may be
    negative: that many rows or columns cropped. With a workspace the buffer is reused
    and only its interior written.
    """
    n, h, w, c = x.shape
    (t, b), (l, r) = padding
    if min(t, b, l, r) < 0:  # crop first, then pad by what is left
        x = x[:, max(-t, 0): h - max(-b, 0), max(-l, 0): w - max(-r, 0)]
        n, h, w, c = x.shape
        t, b, l, r = max(t, 0), max(b, 0), max(l, 0), max(r, 0)
    th, tw = tiles_hw((h + t + b - 2, w + l + r - 2), m)
    xs = buffer(workspace, name, (n, m, m, th + 1, tw + 1, c), x.dtype, fill=0, tag=(t, l, h, w))
    for p in range(m):
        h0 = (p - t) % m  # the first row of x that lands in row phase p
        if h0 >= h:
            continue
        i0, rows = (t + h0) // m, len(range(h0, h, m))
        for q in range(m):
            w0 = (q - l) % m
            if w0 < w:
                j0 = (l + w0) // m
                xs[:, p, q, i0: i0 + rows, j0: j0 + len(range(w0, w, m))] = x[:, h0::m, w0::m]
    return xs, (th, tw)


def chunk_buffers(workspace, name: str, nc: int, tiles, c: int, f: int, m: int, dtype):
    """Scratch for one chunk of nc images: {"v", "m", "t", "z", "y"} (see the module docstring;
    z (m, m+2, T', F) and y (m, m, T', F): the output transform's halfway arrays).

    Each is the front of one kept buffer (workspace.scratch), whatever the chunk's size or
    the image's: a batch's last, smaller chunk and the next image size reuse them. Their
    contents are stale; each transform writes all it reads (t's zero tail included)."""
    th, tw = tiles
    s, tiles_n = m + 2, nc * th * (tw + 1)
    return {"v": scratch(workspace, f"{name}_v", (s * s, tiles_n, c), dtype),
            "m": scratch(workspace, f"{name}_m", (s * s, tiles_n, f), dtype),
            "t": scratch(workspace, f"{name}_t", (m, s * tiles_n * c + c), dtype),
            "z": scratch(workspace, f"{name}_z", (m, s, tiles_n, f), dtype),
            "y": scratch(workspace, f"{name}_y", (m, m, tiles_n, f), dtype)}


def gradient_buffer(workspace, name: str, nc: int, tiles, f: int, m: int, dtype):
    """dM ((m+2)², T', F) for one chunk (stale: output_transform_backward writes all of it)."""
    th, tw = tiles
    return scratch(workspace, f"{name}_dm", ((m + 2) ** 2, nc * th * (tw + 1), f), dtype)


def input_transform(xs, tiles, m: int, v, t) -> None:
    """V = Bᵀ d B for every tile of xs (nc, m, m, th + 1, tw + 1, C) → v ((m+2)², T', C),
    position b·(m+2) + a; t (m, (m+2)·T'·C + C): scratch.

    t's last C numbers are set to zero: the column transform of the chunk's last tile (an
    extra one) reads them as "the tile to its right". Its V is never used, but stale
    inf or nan there would turn into nan in dU (0 · inf), so they are zeroed every time."""
    t[:, t.shape[1] - xs.shape[-1]:] = 0
    if m == 2:
        return input_transform2(xs, tiles, v, t)
    bt = ROWS[m]["bt"]
    th = tiles[0]
    s, c = m + 2, xs.shape[-1]
    size = s * v.shape[1] * c
    rows = [xs[:, k % m, :, k // m: k // m + th].transpose(1, 0, 2, 3, 4) for k in range(s)]  # (q, nc, th, tw+1, C)
    tq = t[:, :size].reshape(m, s, *rows[0].shape[1:])
    for a in range(s):
        combine(bt[a], rows, tq[:, a])
    cols = [t[l % m, (l // m) * c: (l // m) * c + size] for l in range(s)]  # the tile l div m to the right
    for b in range(s):
        combine(bt[b], cols, v.reshape(s, size)[b])


def input_transform2(xs, tiles, v, t) -> None:
    """input_transform for m = 2: Bᵀ's rows 0 and 3 are r0 − r2 and r1 − r3, one subtraction
    of the pairs (r0, r1) and (r2, r3); rows 1 and 2 are r1 + r2 and r2 − r1."""
    th = tiles[0]
    c = xs.shape[-1]
    size = 4 * v.shape[1] * c
    r01, r23 = xs[:, :, :, 0:th], xs[:, :, :, 1:th + 1]  # (nc, p, q, th, tw+1, C): rows k = p and p + 2
    tq = t[:, :size].reshape(2, 4, *r01.shape[:1], *r01.shape[3:])  # (q, a, nc, th, tw+1, C)
    np.subtract(r01, r23, out=tq[:, 0::3].transpose(2, 1, 0, 3, 4, 5))  # a = 0, 3
    np.add(r01[:, 1], r23[:, 0], out=tq[:, 1].transpose(1, 0, 2, 3, 4))
    np.subtract(r23[:, 0], r01[:, 1], out=tq[:, 2].transpose(1, 0, 2, 3, 4))
    c01, c23 = t[:, 0:size], t[:, c:c + size]  # columns l = q and q + 2 (one tile to the right)
    v2 = v.reshape(4, size)
    np.subtract(c01, c23, out=v2[0::3])  # b = 0, 3
    np.add(c01[1], c23[0], out=v2[1])
    np.subtract(c23[0], c01[1], out=v2[2])


def output_transform(mm, tiles, m: int, y6, z, yq) -> None:
    """Y = Aᵀ M A: mm ((m+2)², T', F) → y6 (nc, th, m, tw, m, F), a view of y; z (m, m+2,
    T', F) and yq (m, m, T', F): scratch. Over a first (z[p, b] = Σ_a Aᵀ[p, a] M[b, a]),
    then over b (yq[q, p] = Σ_b Aᵀ[q, b] z[p, b]), then one copy puts the pixels in place:
    the only step whose rows are short (F numbers)."""
    at = ROWS[m]["at"]
    s = m + 2
    nc, th, _, tw = y6.shape[:4]
    mm = mm.reshape(s, s, -1)
    if m == 2:
        np.add(mm[:, 0], mm[:, 1], out=z[0].reshape(s, -1))
        np.add(z[0].reshape(s, -1), mm[:, 2], out=z[0].reshape(s, -1))  # M0 + M1 + M2
        np.subtract(mm[:, 1], mm[:, 2], out=z[1].reshape(s, -1))
        np.subtract(z[1].reshape(s, -1), mm[:, 3], out=z[1].reshape(s, -1))  # M1 − M2 − M3
    else:
        for p in range(m):
            combine(at[p], [mm[:, a] for a in range(s)], z[p].reshape(s, -1))
    zb = z.reshape(m, s, -1).transpose(1, 0, 2)  # (b, p, T'·F)
    for q in range(m):
        combine(at[q], zb, yq[q].reshape(m, -1))
    yq = yq.reshape(m, m, nc, th, tw + 1, -1)[..., :tw, :]  # (q, p, nc, th, tw, F): the extra tiles dropped
    np.copyto(y6, yq.transpose(2, 3, 1, 4, 0, 5))


def output_transform_backward(dy6, m: int, dm, x) -> None:
    """dM = A dY Aᵀ, the transpose of output_transform: dy6 (nc, th, m, tw, m, F) → dm
    ((m+2)², T', F), its extra tiles zero; x (m, m+2, T', F): scratch. Both may hold
    another call's numbers: every entry of dm is written, the extra tiles' zeros too (V
    there is the next row's first tile, so a stale dM would add it into dU).

    For m = 2, row and column 3 of every tile come out with the wrong sign (A's row 3 is
    (0, −1): a copy is cheaper than a negation); dU takes it back with DM_SIGNS2.
    """
    a_rows = ROWS[m]["a"]
    s = m + 2
    nc, th, _, tw = dy6.shape[:4]
    if m == 2:  # x is dm itself: rows b = 0, 3 are dY's columns q = 0, 1 (the sign as above)
        rows03 = dm.reshape(s, s, nc, th, tw + 1, -1)[0::3]
        rows03[:, :, :, :, tw] = 0  # the extra tiles (rows 1, 2 follow from rows 0, 3)
        x = rows03[:, :, :, :, :tw].transpose(0, 2, 3, 1, 4, 5)
        dyq = dy6.transpose(4, 0, 1, 2, 3, 5)  # (q, nc, th, p, tw, F)
        np.copyto(x[:, :, :, 0::3], dyq)  # a = 0, 3 ← dY0, (−)dY1
        np.add(dyq[:, :, :, 0], dyq[:, :, :, 1], out=x[:, :, :, 1])
        np.subtract(dyq[:, :, :, 0], dyq[:, :, :, 1], out=x[:, :, :, 2])
        d = dm.reshape(s, -1)
        np.add(d[0], d[3], out=d[1])
        np.subtract(d[0], d[3], out=d[2])
        return
    x.reshape(m, s, nc, th, tw + 1, -1)[..., tw, :] = 0  # the extra tiles (dm's rows follow from x's)
    xa = x.reshape(m, s, nc, th, tw + 1, -1)[..., :tw, :]
    for q in range(m):
        rows = [dy6[:, :, p, :, q] for p in range(m)]
        for a in range(s):
            combine(a_rows[a], rows, xa[q, a])
    for b in range(s):
        combine(a_rows[b], x.reshape(m, -1), dm.reshape(s, -1)[b])


DM_SIGNS2 = np.outer([1.0, 1, 1, -1], [1.0, 1, 1, -1]).reshape(16, 1, 1)


def kernel_transform(kernel, m: int):
    """U = G g Gᵀ for every (c, f): kernel (3, 3, C, F) → ((m+2)², C, F), position b·(m+2) + a."""
    g = TRANSFORMS[m][1].astype(kernel.dtype)
    u = np.tensordot(g, np.tensordot(g, kernel, axes=(1, 1)), axes=(1, 1))  # (a, b, C, F)
    return np.ascontiguousarray(u.transpose(1, 0, 2, 3).reshape(-1, *kernel.shape[2:]))


def kernel_transform_backward(du, m: int):
    """dg = Gᵀ dU G for every (c, f): du ((m+2)², C, F), position b·(m+2) + a → dkernel (3, 3, C, F)."""
    g = TRANSFORMS[m][1].astype(du.dtype)
    s = m + 2
    du = du.reshape(s, s, *du.shape[1:]).transpose(1, 0, 2, 3)  # (a, b, C, F)
    return np.ascontiguousarray(np.tensordot(g, np.tensordot(g, du, axes=(0, 1)), axes=(0, 1)))
