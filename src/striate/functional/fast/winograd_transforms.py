"""The Winograd minimal-filtering transforms F(m×m, 3×3) (Lavin & Gray, 2016).

A 3×3 correlation of an (m+2)×(m+2) input tile d with a kernel g gives an m×m output
tile. Done directly that is m²·9 multiplications (36 for m = 2). Winograd's algorithm
computes the same numbers as

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A                     (⊙: element-wise product)

with only (m+2)² multiplications (16 for m = 2): Bᵀ d B and G g Gᵀ are sums and
differences (the kernel's is done once per kernel, not per tile), the element-wise
product is the only place tile and kernel meet, and Aᵀ … A adds the products back
together. Each of the 16 products serves several output pixels at once, which is where
the 36 → 16 comes from. In a convolution layer the element-wise products over C input
channels and F filters become 16 (or 36) matrix products, (tiles, C) @ (C, F).

F(2×2, 3×3): tile 4×4, output 2×2::

         ⎡ 1  0 −1  0 ⎤         ⎡ 1    0    0  ⎤        ⎡ 1  1  1  0 ⎤
    Bᵀ = ⎢ 0  1  1  0 ⎥    G =  ⎢ 1/2  1/2  1/2⎥   Aᵀ = ⎣ 0  1 −1 −1 ⎦
         ⎢ 0 −1  1  0 ⎥         ⎢ 1/2 −1/2  1/2⎥
         ⎣ 0  1  0 −1 ⎦         ⎣ 0    0    1  ⎦

F(4×4, 3×3): tile 6×6, output 4×4, 36 multiplications instead of 144, but larger
constants in the transforms and so about ten times the float rounding of F(2×2, 3×3).
"""

from __future__ import annotations

import numpy as np

# F(2×2, 3×3)
BT2 = np.array([[1, 0, -1, 0],
                [0, 1, 1, 0],
                [0, -1, 1, 0],
                [0, 1, 0, -1]], dtype=np.float64)
G2 = np.array([[1, 0, 0],
               [0.5, 0.5, 0.5],
               [0.5, -0.5, 0.5],
               [0, 0, 1]], dtype=np.float64)
AT2 = np.array([[1, 1, 1, 0],
                [0, 1, -1, -1]], dtype=np.float64)

# F(4×4, 3×3)
BT4 = np.array([[4, 0, -5, 0, 1, 0],
                [0, -4, -4, 1, 1, 0],
                [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0],
                [0, 2, -1, -2, 1, 0],
                [0, 4, 0, -5, 0, 1]], dtype=np.float64)
G4 = np.array([[1 / 4, 0, 0],
               [-1 / 6, -1 / 6, -1 / 6],
               [-1 / 6, 1 / 6, -1 / 6],
               [1 / 24, 1 / 12, 1 / 6],
               [1 / 24, -1 / 12, 1 / 6],
               [0, 0, 1]], dtype=np.float64)
AT4 = np.array([[1, 1, 1, 1, 1, 0],
                [0, 1, -1, 2, -2, 0],
                [0, 1, 1, 4, 4, 0],
                [0, 1, -1, 8, -8, 1]], dtype=np.float64)

TRANSFORMS = {2: (BT2, G2, AT2), 4: (BT4, G4, AT4)}  # output tile m → (Bᵀ, G, Aᵀ)


def tile_steps(d, g, m: int = 2) -> dict:
    """One tile by Winograd, every step kept: d ((m+2), (m+2)), g (3, 3) → {"U": G g Gᵀ,
    "V": Bᵀ d B, "M": U ⊙ V (each (m+2)×(m+2)), "Y": Aᵀ M A, the m×m valid correlation}."""
    bt, gm, at = TRANSFORMS[m]
    u = gm @ g @ gm.T  # the kernel, transformed: (m+2, m+2)
    v = bt @ d @ bt.T  # the tile, transformed: (m+2, m+2)
    products = u * v  # (m+2)² products, the only place tile and kernel meet
    return {"U": u, "V": v, "M": products, "Y": at @ products @ at.T}  # added back into m×m outputs


def tile_correlate(d, g, m: int = 2):
    """One tile by Winograd: d ((m+2), (m+2)), g (3, 3) → the m×m valid correlation of d with g.

    The worked example of the algorithm, for learners and tests; the fast kernel does the
    same on many tiles and channels at once.
    """
    return tile_steps(d, g, m)["Y"]
