"""Sparse coding with a locally competitive algorithm on a crossbar (Sheridan et al., "Sparse
coding with memristor networks", Nature Nanotechnology 2017).

The dictionary D (features × atoms, unit-norm atoms) is programmed once: scikit-learn's
``MiniBatchDictionaryLearning`` (seeded) learns it from 8×8 patches of a sample image
(each patch: mean removed, unit norm). Each test patch x is coded by the LCA (Rozell et al.,
Neural Computation 2008) the way Sheridan et al. run it, a forward read for the
reconstruction and a transposed read for the feedback, every iteration:

    a = T_λ(u),  u ← u + η·(Dᵀ·(x − D·a) + a − u),

T_λ the soft threshold; at its fixed point a solves min ½‖x − D·a‖² + λ‖a‖₁ (the lasso).
The float reference runs the same iterations with exact products; scikit-learn's
``SparseCoder`` (``lasso_lars``, the same λ) solves the lasso directly. Quality: the mean
relative reconstruction error ‖x − D·a‖/‖x‖ of the codes (lower is better).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from imcsim.apps.engine import AnalogMatrix, AppResult, derived_seed
from imcsim.apps.images import load_image
from imcsim.config import Arch
from imcsim.errors import ImcsimError


def image_patches(image: str, size: int, count: int, seed: int) -> np.ndarray:
    """Up to ``count`` seeded size×size patches of a grey image (as many as it has), mean
    removed, unit norm; flat patches (no structure to code) are left out."""
    from sklearn.feature_extraction.image import extract_patches_2d

    img = load_image(image)
    if min(img.shape) < size:
        raise ImcsimError(f"--image {image}: {img.shape[1]}×{img.shape[0]} is smaller than one "
                          f"{size}×{size} patch")
    available = (img.shape[0] - size + 1) * (img.shape[1] - size + 1)
    p = extract_patches_2d(img, (size, size), max_patches=min(count, available),
                           random_state=seed)
    p = p.reshape(len(p), -1)
    p = p - p.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(p, axis=1)
    if not np.any(norm > 1e-6):
        raise ImcsimError(f"--image {image}: every patch is flat (one grey level); nothing "
                          "to code")
    return p[norm > 1e-6] / norm[norm > 1e-6, None]


def lca(x: np.ndarray, forward: Any, backward: Any, atoms: int, lam: float, steps: int,
        rate: float) -> np.ndarray:
    """Codes of the rows of ``x``; ``forward(a)`` = D·a, ``backward(r)`` = Dᵀ·r (row-wise)."""
    u = np.zeros((x.shape[0], atoms))
    for _ in range(steps):
        a = np.sign(u) * np.maximum(np.abs(u) - lam, 0.0)
        u += rate * (backward(x - forward(a)) + a - u)
    return np.sign(u) * np.maximum(np.abs(u) - lam, 0.0)


def sparse_coding(arch: Arch, *, image: str = "china", patch: int = 8, atoms: int = 128,
                  samples: int = 100, lam: float = 0.1, steps: int = 40, rate: float = 0.15,
                  seed: int = 0) -> AppResult:
    """Code image patches on the simulated dictionary array (see the module's docstring)."""
    from sklearn.decomposition import MiniBatchDictionaryLearning, SparseCoder

    if patch not in range(4, 17):
        raise ImcsimError(f"--patches {patch}x{patch}: patches must be 4×4 to 16×16")
    if not patch * patch // 2 <= atoms <= 1024:
        raise ImcsimError(f"--atoms {atoms}: must be {patch * patch // 2}–1024")
    if not 1 <= samples <= 5000:
        raise ImcsimError(f"--samples {samples}: must be 1–5000")
    for name, v, hi in (("lambda", lam, 10.0), ("rate", rate, 1.0)):
        if not (math.isfinite(v) and 0 < v <= hi):
            raise ImcsimError(f"--{name} {v}: must be in (0, {hi:g}]")
    if not 1 <= steps <= 10_000:
        raise ImcsimError(f"--steps {steps}: must be 1–10000")
    train = image_patches(image, patch, 3000, seed)
    learner = MiniBatchDictionaryLearning(n_components=atoms, batch_size=256, max_iter=5,
                                          random_state=seed)
    dictionary = learner.fit(train).components_  # atoms × features, unit-norm rows
    d = dictionary.T
    x = image_patches(image, patch, samples, derived_seed(seed, 61))
    engine = AnalogMatrix(d, arch, seed, "dictionary")
    a_hw = lca(x, engine, engine.transposed, atoms, lam, steps, rate)
    a_float = lca(x, lambda a: a @ d.T, lambda r: r @ d, atoms, lam, steps, rate)
    a_ref = SparseCoder(dictionary, transform_algorithm="lasso_lars",
                        transform_alpha=lam).transform(x)

    def error(a: np.ndarray) -> float:
        return float(np.mean(np.linalg.norm(x - a @ d.T, axis=1) / np.linalg.norm(x, axis=1)))

    def objective(a: np.ndarray) -> float:
        return float(np.mean(0.5 * np.sum((x - a @ d.T) ** 2, axis=1)
                             + lam * np.abs(a).sum(axis=1)))

    details: dict[str, Any] = {
        "image": image, "patch": patch, "atoms": atoms, "samples": len(x), "lambda": lam,
        "steps": steps, "rate": rate,
        "nonzeros_hw": float(np.mean(np.count_nonzero(a_hw, axis=1))),
        "nonzeros_float": float(np.mean(np.count_nonzero(a_float, axis=1))),
        "nonzeros_sklearn": float(np.mean(np.count_nonzero(a_ref, axis=1))),
        "error_sklearn": error(a_ref), "objective_hw": objective(a_hw),
        "objective_float": objective(a_float), "objective_sklearn": objective(a_ref),
    }
    return AppResult("sparse-coding", "mean relative reconstruction error (lower is better)",
                     error(a_hw), error(a_float), engine.mvms, engine.energy_j, engine.time_s,
                     details, engine.arrays, {"patches": x, "dictionary": d, "codes_hw": a_hw,
                                              "codes_float": a_float, "codes_sklearn": a_ref})
