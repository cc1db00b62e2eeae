"""K-means clustering on a crossbar distance engine (Jeong et al., "K-means data clustering
with memristor networks", Nano Letters 2018).

The k centroids W_n are the array's outputs and the features its inputs, plus one input
row holding each centroid's squared norm: for an input u the array reads
−2·u·W_n + ‖W_n‖² (u driven as −2u, the norm row by a constant 1), and the nearest
centroid is the smallest output (digital argmin; ‖u‖² is the same for every n). Training
is online, as in the paper: each sample pulls its winner towards it, ΔW_n = η·(u − W_n),
written into the array through :class:`imcsim.apps.engine.DeviceUpdate` (whole pulses,
nonlinear, cycle-to-cycle spread), after which the changed centroid and its norm are
programmed again (with the configured programming noise). The same algorithm in float
(exact products, exact updates, same seed, same order) is the reference; so is
scikit-learn's ``KMeans`` started from the same centroids.

Features are standardised (zero mean, unit variance); the centroids' weight range is the
data's range.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from imcsim.apps.engine import AnalogMatrix, AppResult, DeviceUpdate, derived_seed
from imcsim.config import Arch
from imcsim.errors import ImcsimError

DATASETS = ("iris", "breast_cancer", "digits", "wine")


def load_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(features, labels) of one of scikit-learn's bundled data sets (no download)."""
    from sklearn import datasets

    loaders = {"iris": datasets.load_iris, "breast_cancer": datasets.load_breast_cancer,
               "digits": datasets.load_digits, "wine": datasets.load_wine}
    if name not in loaders:
        raise ImcsimError(f"--dataset {name}: choose one of {', '.join(DATASETS)} "
                          "(scikit-learn's bundled data sets)")
    data = loaders[name]()
    return np.asarray(data.data, dtype=np.float64), np.asarray(data.target)


def training_data(dataset: str, epochs: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """A data set standardised (zero mean, unit variance per feature) for an algorithm that
    learns on the array, once its epochs and learning rate are checked."""
    if not 1 <= epochs <= 1000:
        raise ImcsimError(f"--epochs {epochs}: must be 1–1000")
    if not (np.isfinite(rate) and 0 < rate <= 1):
        raise ImcsimError(f"--rate {rate}: the learning rate must be in (0, 1]")
    x, labels = load_dataset(dataset)
    return (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0), labels


def _matrix(w: np.ndarray) -> np.ndarray:
    """The array's contents: centroids (k × d) and their squared norms as one more input."""
    return np.concatenate([w, np.sum(w * w, axis=1, keepdims=True)], axis=1)


def _inputs(u: np.ndarray) -> np.ndarray:
    return np.concatenate([-2.0 * u, np.ones((*u.shape[:-1], 1))], axis=-1)


def kmeans(arch: Arch, *, dataset: str = "iris", clusters: int | None = None,
           epochs: int = 10, rate: float = 0.1, update: DeviceUpdate | None = None,
           seed: int = 0) -> AppResult:
    """Online K-means on the simulated distance engine (see the module's docstring);
    ``clusters`` defaults to the data set's classes."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    x, labels = training_data(dataset, epochs, rate)
    k = clusters if clusters is not None else len(np.unique(labels))
    if not 2 <= k <= len(x) // 2:
        raise ImcsimError(f"--clusters {k}: must be 2–{len(x) // 2} for {dataset}")
    update = update or DeviceUpdate()
    rng = np.random.default_rng([seed, 11])
    w0 = x[rng.choice(len(x), k, replace=False)]
    order = [np.random.default_rng([seed, 12, e]).permutation(len(x)) for e in range(epochs)]
    lo, hi = float(x.min()), float(x.max())

    # float: the same online algorithm, exact
    w = w0.copy()
    for perm in order:
        for i in perm:
            n = int(np.argmin(_inputs(x[i]) @ _matrix(w).T))
            w[n] += rate * (x[i] - w[n])
    float_labels = np.argmin(_inputs(x) @ _matrix(w).T, axis=1)

    # hardware: the distance engine, reprogrammed after every update
    writes = np.random.default_rng([seed, 13])
    w = w0.copy()
    programmed = 0
    engine = AnalogMatrix(_matrix(w), arch, seed, "centroids")
    mvms, energy, time_s, pulses = 0, 0.0, 0.0, 0
    for perm in order:
        for i in perm:
            n = int(np.argmin(engine(_inputs(x[i]))))
            w[n], fired = update.apply(w[n], rate * (x[i] - w[n]), lo, hi, writes)
            pulses += fired
            if fired:
                mvms, energy, time_s = mvms + engine.mvms, energy + engine.energy_j, \
                    time_s + engine.time_s
                programmed += 1
                engine = AnalogMatrix(_matrix(w), arch, derived_seed(seed, 14, programmed),
                                      "centroids")
    hw_labels = np.argmin(engine(_inputs(x)), axis=1)
    mvms, energy, time_s = mvms + engine.mvms, energy + engine.energy_j, time_s + engine.time_s

    ref = KMeans(n_clusters=k, init=w0, n_init=1, random_state=seed).fit(x).labels_
    details: dict[str, Any] = {
        "dataset": dataset, "samples": len(x), "features": x.shape[1], "clusters": k,
        "epochs": epochs, "rate": rate, "update_step": update.step,
        "update_nonlinearity": update.nonlinearity, "update_c2c": update.c2c,
        "update_pulses": pulses, "reprogrammed": programmed,
        "ari_vs_sklearn_hw": float(adjusted_rand_score(ref, hw_labels)),
        "ari_vs_sklearn_float": float(adjusted_rand_score(ref, float_labels)),
        "sklearn_ari": float(adjusted_rand_score(labels, ref)),
    }
    return AppResult("kmeans", "adjusted Rand index vs the labels",
                     float(adjusted_rand_score(labels, hw_labels)),
                     float(adjusted_rand_score(labels, float_labels)), mvms, energy, time_s,
                     details, engine.arrays,
                     {"labels_hw": hw_labels, "labels_float": float_labels, "centroids_hw": w})

