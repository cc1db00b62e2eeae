"""Online principal component analysis on a crossbar (Choi et al., "Experimental
demonstration of feature extraction and dimensionality reduction using memristor
networks", Nano Letters 2017).

The array holds the k component vectors as its outputs (W: k × d); each standardised
sample x is read through it, y = W·x, and Sanger's rule (the generalised Hebbian
algorithm) moves the weights, ΔW = η·(y·xᵀ − LT(y·yᵀ)·W), written through
:class:`imcsim.apps.engine.DeviceUpdate` (stochastic rounding by default: most changes are
smaller than one pulse) and programmed again. The float run is the same algorithm, data,
order and seed with exact products and updates; scikit-learn's ``PCA`` is the reference
subspace. Quality: the accuracy of a logistic regression (scikit-learn) trained on the
k-dimensional projection of a seeded 70 % of the samples and tested on the rest, as the
paper classifies the breast-cancer data on its two learnt components; the details add the
principal angles (``scipy.linalg.subspace_angles``) to scikit-learn's subspace.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from imcsim.apps.clustering import training_data
from imcsim.apps.engine import AnalogMatrix, AppResult, DeviceUpdate, derived_seed
from imcsim.config import Arch
from imcsim.errors import ImcsimError


def _sanger(w: np.ndarray, x: np.ndarray, y: np.ndarray, rate: float) -> np.ndarray:
    return rate * (np.outer(y, x) - np.tril(np.outer(y, y)) @ w)


def _accuracy(x: np.ndarray, labels: np.ndarray, w: np.ndarray, seed: int) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    z = x @ w.T
    tr, te, ytr, yte = train_test_split(z, labels, test_size=0.3, random_state=seed,
                                        stratify=labels)
    return float(LogisticRegression().fit(tr, ytr).score(te, yte))


def pca(arch: Arch, *, dataset: str = "breast_cancer", components: int = 2, epochs: int = 3,
        rate: float = 0.001, update: DeviceUpdate | None = None, seed: int = 0) -> AppResult:
    """Sanger's rule on the simulated array (see the module's docstring)."""
    from scipy.linalg import subspace_angles
    from sklearn.decomposition import PCA

    x, labels = training_data(dataset, epochs, rate)
    if not 1 <= components < x.shape[1]:
        raise ImcsimError(f"--components {components}: must be 1–{x.shape[1] - 1} for "
                          f"{dataset} ({x.shape[1]} features)")
    update = update or DeviceUpdate(step=1 / 256, stochastic=True)
    w0 = np.random.default_rng([seed, 41]).standard_normal((components, x.shape[1])) * 0.1
    order = [np.random.default_rng([seed, 42, e]).permutation(len(x)) for e in range(epochs)]
    lo, hi = -1.0, 1.0  # Sanger's rule keeps every component at unit norm: |w| ≤ 1

    w_float = w0.copy()
    for perm in order:
        for i in perm:
            w_float += _sanger(w_float, x[i], w_float @ x[i], rate)

    writes = np.random.default_rng([seed, 43])
    w = w0.copy()
    engine = AnalogMatrix(w, arch, seed, "components")
    mvms, energy, time_s, pulses, programmed = 0, 0.0, 0.0, 0, 0
    for perm in order:
        for i in perm:
            y = engine(x[i])
            w, fired = update.apply(w, _sanger(w, x[i], y, rate), lo, hi, writes)
            pulses += fired
            if fired:
                mvms, energy, time_s = (mvms + engine.mvms, energy + engine.energy_j,
                                        time_s + engine.time_s)
                programmed += 1
                engine = AnalogMatrix(w, arch, derived_seed(seed, 44, programmed), "components")
    projected = engine(x)  # the data through the final array, for the classifier
    mvms, energy, time_s = mvms + engine.mvms, energy + engine.energy_j, time_s + engine.time_s
    ref = PCA(components).fit(x).components_

    def angles(v: np.ndarray) -> list[float]:
        return [float(a) for a in np.degrees(subspace_angles(v.T, ref.T))]

    # the hardware's classifier sees what the array computes (projections with its errors)
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    tr, te, ytr, yte = train_test_split(projected, labels, test_size=0.3, random_state=seed,
                                        stratify=labels)
    hw_acc = float(LogisticRegression().fit(tr, ytr).score(te, yte))
    details: dict[str, Any] = {
        "dataset": dataset, "samples": len(x), "features": x.shape[1],
        "components": components, "epochs": epochs, "rate": rate,
        "update_step": update.step, "update_nonlinearity": update.nonlinearity,
        "update_c2c": update.c2c, "update_pulses": pulses, "reprogrammed": programmed,
        "max_angle_hw_deg": max(angles(w)), "max_angle_float_deg": max(angles(w_float)),
        "sklearn_accuracy": _accuracy(x, labels, ref, seed),
    }
    return AppResult("pca", "held-out accuracy of a logistic regression on the projection",
                     hw_acc, _accuracy(x, labels, w_float, seed), mvms, energy, time_s,
                     details, engine.arrays, {"components_hw": w, "components_float": w_float,
                                              "components_sklearn": ref})
