"""Data sets for accuracy runs. No downloads: scikit-learn ships the digits images.

- ``digits``: scikit-learn's 8×8 handwritten digits (1,797 images, pixel values 0–16,
  scaled to [0, 1]), shaped (N, 1, 8, 8). A fixed split (seeded permutation, 20 % test)
  is shared with ``models/train_digits_cnn.py``, so accuracy is measured on images the
  model never saw in training.
- ``random``: seeded standard-normal inputs of the model's own shapes (integer inputs:
  uniform in [0, 2)), for models without a data set; accuracy is then agreement with float.
- a path (.npz, .npy, a folder of images): the user's own data, read by
  :mod:`imcsim.functional.userdata`.
"""

from __future__ import annotations

import os

import numpy as np

from imcsim.compiler.errors import ImcsimError
from imcsim.compiler.sparse.io import memory_budget

DATASETS = ("digits", "random")
SPLIT_SEED = 0
TEST_FRACTION = 0.2


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test), x as float32 (N, 1, 8, 8) in [0, 1]."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None, :, :]
    y = data.target.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    n_test = int(round(TEST_FRACTION * len(y)))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def check_samples(inputs: dict[str, tuple[int, ...]], samples: int) -> None:
    """``samples`` inputs of these shapes fit the memory budget (float64 while made)."""
    if samples < 1:
        raise ImcsimError(f"--samples {samples}: must be ≥ 1")
    need = samples * sum(int(np.prod(s[1:], dtype=object)) for s in inputs.values()) * 8
    budget = memory_budget()
    if need > budget:
        raise ImcsimError(f"--samples {samples}: the inputs alone need {need / 2**30:.3g} GiB, "
                          f"over the memory budget of {budget / 2**30:.3g} GiB; use fewer (or "
                          "imcsim --max-memory SIZE)")


def load(name: str, inputs: dict[str, tuple[int, ...]], dtypes: dict[str, np.dtype],
         samples: int, seed: int,
         option: str = "--dataset") -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """``samples`` inputs for a model (batch axis first) and their labels (None if unlabelled)."""
    check_samples(inputs, samples)
    if name == "digits":
        _, _, x, y = digits_split()
        if len(inputs) != 1:
            raise ImcsimError(f"{option} digits: the model has {len(inputs)} inputs; it needs one "
                              "image input of shape (N, 1, 8, 8)")
        (input_name, shape), = inputs.items()
        if tuple(shape[1:]) != x.shape[1:]:
            raise ImcsimError(f"{option} digits: images are {x.shape[1:]} but model input "
                              f"'{input_name}' expects {tuple(shape[1:])}; use {option} random "
                              "or a model trained on digits (models/digits_cnn.onnx)")
        if samples > len(y):
            raise ImcsimError(f"--samples {samples}: the digits test set has {len(y)} images; "
                              f"give at most {len(y)}")
        pick = np.random.default_rng(seed).permutation(len(y))[:samples]
        return {input_name: x[pick]}, y[pick]
    if name == "random":
        rng = np.random.default_rng(seed)
        feeds = {}
        for k, shape in inputs.items():
            full = (samples, *shape[1:])
            if np.dtype(dtypes.get(k, np.float32)).kind == "f":
                feeds[k] = rng.standard_normal(full).astype(dtypes.get(k, np.float32))
            else:
                feeds[k] = rng.integers(0, 2, full).astype(dtypes[k])
        return feeds, None
    if name.endswith((".npz", ".npy")) or os.path.isdir(name):
        from imcsim.functional import userdata

        data = userdata.load(name, inputs, dtypes, None, samples, seed)
        return data.feeds, data.labels
    raise ImcsimError(f"{option} {name}: unknown data set; choose one of {', '.join(DATASETS)}, "
                      "an .npz or .npy file of model inputs, or a folder of images")
