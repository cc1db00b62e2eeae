"""The user's own data for accuracy runs (``imcsim accuracy --data``, ``imcsim.accuracy``).

Sources, each checked from its headers before anything large is read:

- ``.npz``: ``x`` (a single-input model) or one array per model input named after it, and
  optionally ``y``: integer class indices, one per sample. No other arrays.
- ``.npy``: model inputs only (a single-input model), memory-mapped so only the samples
  drawn are read.
- a folder of PNG/JPEG images: labelled when the images sit in sub-folders (class index =
  position of the sub-folder's name in sorted order, like torchvision's ImageFolder; an
  empty sub-folder keeps its index), unlabelled when they sit directly in the folder. Each
  image becomes float32 C×H×W for the model's (N, C, H, W) input: 8-bit grey for C = 1 or
  RGB for C = 3; resized straight to H×W (bilinear), or with ``resize`` = S its shorter
  side resized to S and the centre H×W cropped (torchvision's Resize(S) + CenterCrop);
  pixels scaled to [0, 1], then (v − mean) / std per channel (defaults: ImageNet's for
  3 channels, none — mean 0, std 1 — for 1). Needs Pillow (``imcsim[images]``).
- in memory (Python API): an array ``x``, ``(x, y)``, ``{input name: array}`` or
  ``({…}, y)``; or an iterable of batches, each ``(x, y)`` or ``x`` (a torch DataLoader
  works: tensors go through ``numpy.asarray``).

Layout: x is batch-first and must match the model input after the batch axis; it is
reshaped only when the two differ by axes of size 1 alone (``(N, 8, 8)`` for an input
``(N, 1, 8, 8)``), which moves no value. Values must be numbers (cast to the model input's
dtype; float data for an integer input is refused) and finite; y a 1-D integer array of
x's length with values in [0, number of model outputs). Every problem is one
:class:`DataError` naming the source and what to fix.

Samples: ``samples`` of them drawn at random without replacement with the run's seed (all
of them, shuffled, when ``samples`` is None) — so the first batch, which sets input scales
and calibrated ADC ranges, is a random one, not the first class of a sorted folder; the
draw's positions come back as ``Data.index``. An iterable is taken in order, up to
``samples``.
"""

from __future__ import annotations

import math
import os
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from imcsim.compiler.sparse.io import memory_budget, npy_header, npz_headers
from imcsim.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
IMAGENET_MEAN = (0.485, 0.456, 0.406)  # per RGB channel, on pixels scaled to [0, 1]
IMAGENET_STD = (0.229, 0.224, 0.225)
MAX_RESIZE = 16_384  # pixels: --resize bound (one decoded image stays well inside memory)
_8BIT_MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr")


@dataclass(frozen=True)
class Preprocess:
    """How an image folder becomes model inputs (ignored by every other source)."""

    resize: int | None = None  # px: shorter side, then a centre crop to H×W; None: to H×W
    mean: tuple[float, ...] | None = None  # per channel, on [0, 1] pixels; None: the default
    std: tuple[float, ...] | None = None  # per channel (> 0); None: the default

    def resolved(self, channels: int) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) as float32 arrays of ``channels`` values."""
        default = (IMAGENET_MEAN, IMAGENET_STD) if channels == 3 else ((0.0,), (1.0,))
        out = []
        for option, given, fallback in (("--mean", self.mean, default[0]),
                                        ("--std", self.std, default[1])):
            values = tuple(given) if given is not None else fallback
            if len(values) not in (1, channels):
                raise DataError(f"{option} {','.join(map(str, values))}: give 1 or {channels} "
                                f"values (one per channel of the model's input)")
            if not all(math.isfinite(v) for v in values) or (
                    option == "--std" and min(values) <= 0):
                raise DataError(f"{option} {','.join(map(str, values))}: values must be finite"
                                + (" and > 0" if option == "--std" else ""))
            out.append(np.broadcast_to(np.asarray(values, np.float32), (channels,)).copy())
        return out[0], out[1]

    def to_dict(self, channels: int) -> dict[str, Any]:
        mean, std = self.resolved(channels)
        return {"resize": self.resize, "mean": [float(v) for v in mean],
                "std": [float(v) for v in std]}


@dataclass
class Data:
    """Model inputs ready to run, and what they are."""

    feeds: dict[str, np.ndarray]  # input name → (samples, *shape[1:]) in the input's dtype
    labels: np.ndarray | None  # int64 (samples,) class indices; None: unlabelled
    index: np.ndarray | None  # each sample's position in the source; None: taken in order
    label: str  # what reports call it: the path, 'arrays' or 'batches'
    preprocess: dict[str, Any] | None = None  # an image folder's resize, mean and std

    @property
    def samples(self) -> int:
        return len(next(iter(self.feeds.values())))


def load(source: Any, inputs: dict[str, tuple[int, ...]], dtypes: Mapping[str, np.dtype],
         classes: int | None, samples: int | None, seed: int,
         preprocess: Preprocess | None = None) -> Data:
    """``samples`` inputs (all when None) from ``source``: a path (.npz, .npy, image folder),
    arrays, or an iterable of batches — see the module docstring."""
    if samples is not None and samples < 1:
        raise DataError(f"--samples {samples}: must be ≥ 1")
    model = _Model(inputs, {k: np.dtype(dtypes.get(k, np.float32)) for k in inputs}, classes)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_dir():
            return _from_folder(path, model, samples, seed, preprocess or Preprocess())
        if not path.is_file():
            raise DataError(f"{path}: no such file or folder; give an .npz, an .npy or a "
                            "folder of images")
        if preprocess is not None and preprocess != Preprocess():
            raise DataError(f"{path}: --resize, --mean and --std apply to a folder of images; "
                            "an array file is fed as it is")
        suffix = path.suffix.lower()
        if suffix == ".npz":
            return _from_npz(path, model, samples, seed)
        if suffix == ".npy":
            return _from_npy(path, model, samples, seed)
        raise DataError(f"{path}: unknown data format '{suffix}'; give an .npz (x, optional "
                        "y), an .npy (x) or a folder of PNG/JPEG images")
    if preprocess is not None and preprocess != Preprocess():
        raise DataError("data: resize, mean and std apply to a folder of images, not to arrays")
    if isinstance(source, tuple) and len(source) == 2 and not isinstance(source[0], tuple | list):
        return _from_arrays(source[0], source[1], model, samples, seed)
    if isinstance(source, np.ndarray | Mapping) or hasattr(source, "__array__"):
        return _from_arrays(source, None, model, samples, seed)
    if isinstance(source, Iterable) and not isinstance(source, str | bytes):
        return _from_batches(source, model, samples)
    raise DataError(f"data: a {type(source).__name__} is not data; give a path, an array x, "
                    "(x, y), or an iterable of (x, y) batches")


# ---------------------------------------------------------------- checks shared by sources


@dataclass(frozen=True)
class _Model:
    inputs: dict[str, tuple[int, ...]]
    dtypes: dict[str, np.dtype]
    classes: int | None  # elements of the first output per sample (None: unknown)

    def dims(self, name: str) -> str:
        return f"(N, {', '.join(map(str, self.inputs[name][1:]))})"


def _check_layout(src: str, what: str, shape: tuple[int, ...], dtype: np.dtype, model: _Model,
                  name: str) -> None:
    """x's dtype and shape (from a header or an array) against model input ``name``."""
    want = model.inputs[name]
    if dtype.kind not in "biuf":
        raise DataError(f"{src}: {what} holds {dtype} values, not numbers; give a numeric "
                        f"array of shape {model.dims(name)}")
    if model.dtypes[name].kind in "iub" and dtype.kind == "f":
        raise DataError(f"{src}: {what} holds floats but the model's input '{name}' is "
                        f"{model.dtypes[name]}; give integers")
    if len(shape) == 0:
        raise DataError(f"{src}: {what} is a single number; give the samples on axis 0, "
                        f"shape {model.dims(name)}")
    per, need = tuple(shape[1:]), tuple(want[1:])
    if per == need or [d for d in per if d != 1] == [d for d in need if d != 1]:
        return  # equal, or only size-1 axes differ: a reshape moves no value
    hint = ""
    if len(per) == 3 == len(need) and per == (need[1], need[2], need[0]):
        hint = " — it looks channels-last (NHWC): use x.transpose(0, 3, 1, 2)"
    raise DataError(f"{src}: {what} has shape {tuple(shape)}, the model's input '{name}' "
                    f"expects {model.dims(name)} (batch first){hint}")


def _finish(src: str, what: str, a: np.ndarray, model: _Model, name: str) -> np.ndarray:
    """Reshape to the model input, cast to its dtype, require finite values."""
    out = np.ascontiguousarray(a.reshape(len(a), *model.inputs[name][1:]),
                               dtype=model.dtypes[name])
    if out.dtype.kind == "f":
        bad = ~np.isfinite(out.reshape(len(out), -1)).all(axis=1)
        if bad.any():
            raise DataError(f"{src}: {what} holds NaN or infinite values (after conversion to "
                            f"{out.dtype}) in {int(bad.sum())} sample(s); replace or drop them")
    return out


def _check_label_header(src: str, shape: tuple[int, ...], dtype: np.dtype, n: int) -> None:
    if dtype.kind not in "iu":
        hint = "; one-hot? use y.argmax(axis=1)" if len(shape) == 2 else \
            "; use y.astype(int)" if dtype.kind in "fb" else ""
        raise DataError(f"{src}: y holds {dtype} values; give integer class indices{hint}")
    if len(shape) != 1:
        hint = ("; one-hot? use y.argmax(axis=1)" if len(shape) == 2 and shape[1] > 1
                else "; use y.reshape(-1)" if math.prod(shape) == n else "")
        raise DataError(f"{src}: y has shape {tuple(shape)}; give one class index per sample, "
                        f"shape (N,){hint}")
    if shape[0] != n:
        raise DataError(f"{src}: y holds {shape[0]} labels for {n} samples of x; give one "
                        "label per sample")


def _check_label_values(src: str, y: np.ndarray, classes: int | None) -> None:
    if not len(y):
        return
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or (classes is not None and hi >= classes):
        bad = lo if lo < 0 else hi
        top = f"{classes - 1} (the model has {classes} outputs)" if classes else "…"
        raise DataError(f"{src}: y holds label {bad}, outside 0 … {top}; labels are class "
                        "indices")


def _check_memory(src: str, model: _Model, count: int) -> None:
    """``count`` samples fit the memory budget (at 8 bytes a value, as
    datasets.check_samples counts them)."""
    need = count * sum(math.prod(s[1:]) for s in model.inputs.values()) * 8
    budget = memory_budget()
    if need > budget:
        raise DataError(f"{src}: {count:,} samples need {need / 2**30:.3g} GiB, over the memory "
                        f"budget of {budget / 2**30:.3g} GiB; use fewer (--samples N) or "
                        "imcsim --max-memory SIZE")


def _draw(src: str, n: int, samples: int | None, seed: int, model: _Model) -> np.ndarray:
    """Positions of the samples to run: a seeded draw without replacement."""
    if n == 0:
        raise DataError(f"{src}: holds no samples")
    count = n if samples is None else samples
    if count > n:
        raise DataError(f"{src}: holds {n:,} samples, fewer than --samples {count:,}; give at "
                        f"most {n:,}")
    _check_memory(src, model, count)
    rng = np.random.default_rng(seed)
    return rng.permutation(n) if count == n else rng.choice(n, size=count, replace=False)


def _take(a: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``a[index]``, reading in file order (for a memory map), returned in draw order."""
    order = np.argsort(index, kind="stable")
    out = np.empty((len(index), *a.shape[1:]), a.dtype)
    out[order] = a[index[order]]
    return out


# ---------------------------------------------------------------- array files


def _budget_error(src: str, what: str, nbytes: int) -> DataError:
    budget = memory_budget()
    return DataError(f"{src}: {what} {nbytes / 2**30:.3g} GiB, over the memory budget of "
                     f"{budget / 2**30:.3g} GiB (imcsim --max-memory SIZE changes it)")


def _from_npz(path: Path, model: _Model, samples: int | None, seed: int) -> Data:
    src = str(path)
    how = "save the data with numpy.savez(path, x=inputs, y=labels)"
    headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    try:
        with zipfile.ZipFile(path) as z:  # a zip bomb is refused by its declared sizes
            unpacked = sum(i.file_size for i in z.infolist())
            if unpacked > memory_budget():
                raise _budget_error(src, "unpacks to", unpacked)
            for member, header in npz_headers(z).items():  # …and each by its own header
                if header is None:
                    raise DataError(f"{src}: member '{member[:60]}' is not a NumPy array; {how}")
                shape, dtype = header
                nbytes = math.prod(shape) * dtype.itemsize
                if nbytes > memory_budget():
                    raise _budget_error(src, f"array '{member[:-4][:40]}' needs", nbytes)
                headers[member[:-4]] = (tuple(shape), dtype)
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f"{src}: cannot read as .npz ({first[:200]}); {how}") from None
    names = list(model.inputs)
    if "x" in headers and len(names) == 1:
        if names[0] != "x" and names[0] in headers:
            raise DataError(f"{src}: holds both 'x' and '{names[0]}' (the model's input); "
                            "keep one")
        keys = {names[0]: "x"}
    elif all(k in headers for k in names):
        keys = {k: k for k in names}
    elif len(names) == 1:
        raise DataError(f"{src}: no array named 'x' (has: {', '.join(headers) or 'none'}); "
                        f"{how}")
    else:
        raise DataError(f"{src}: needs one array per model input, named {', '.join(names)} "
                        f"(has: {', '.join(headers) or 'none'}), and optionally y")
    extra = set(headers) - set(keys.values()) - {"y"}
    if extra:
        raise DataError(f"{src}: unexpected array(s) {', '.join(sorted(extra))}; the file holds "
                        "x (or one array per model input) and optionally y")
    for name, key in keys.items():
        _check_layout(src, f"'{key}'", *headers[key], model, name)
    lengths = {key: headers[key][0][0] for key in keys.values()}
    if len(set(lengths.values())) > 1:
        raise DataError(f"{src}: the inputs hold different numbers of samples "
                        f"({', '.join(f'{k}: {v:,}' for k, v in lengths.items())}); give the same")
    n = next(iter(lengths.values()))
    if "y" in headers:
        _check_label_header(src, *headers["y"], n)
    index = _draw(src, n, samples, seed, model)
    feeds = {}
    try:
        with np.load(path, allow_pickle=False) as f:
            for name, key in keys.items():
                feeds[name] = _finish(src, f"'{key}'", f[key][index], model, name)
            labels = f["y"] if "y" in headers else None
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f"{src}: cannot read as .npz ({first[:200]}); {how}") from None
    if labels is not None:
        _check_label_values(src, labels, model.classes)
        labels = labels.astype(np.int64)[index]
    return Data(feeds, labels, index, src)


def _from_npy(path: Path, model: _Model, samples: int | None, seed: int) -> Data:
    src = str(path)
    if len(model.inputs) != 1:
        raise DataError(f"{src}: an .npy holds one array but the model has {len(model.inputs)} "
                        f"inputs ({', '.join(model.inputs)}); save them in an .npz, one array "
                        "per input")
    (name,) = model.inputs
    try:
        with path.open("rb") as f:  # the header alone says how much the array needs
            shape, dtype = npy_header(f)
            offset = f.tell()
    except (OSError, ValueError, EOFError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f"{src}: cannot read as .npy ({first[:200]}); save the inputs with "
                        "numpy.save(path, x)") from None
    _check_layout(src, "x", tuple(shape), dtype, model, name)
    index = _draw(src, shape[0], samples, seed, model)
    declared = math.prod(shape) * dtype.itemsize
    if path.stat().st_size < offset + declared:
        raise DataError(f"{src}: the header declares {tuple(shape)} {dtype} ({declared:,} "
                        f"bytes) but the file holds {path.stat().st_size - offset:,}; the file "
                        "is truncated")
    try:
        a = np.load(path, mmap_mode="r", allow_pickle=False)
        x = _take(a, index)
        del a
    except (OSError, ValueError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f"{src}: cannot read as .npy ({first[:200]})") from None
    return Data({name: _finish(src, "x", x, model, name)}, None, index, src)


# ---------------------------------------------------------------- in memory


def _as_array(src: str, value: Any) -> np.ndarray:
    try:
        return np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f"{src}: cannot convert to a NumPy array ({first[:200]}); give "
                        "rectangular numeric arrays (CPU tensors)") from None


def _inputs_of(src: str, x: Any, model: _Model) -> dict[str, np.ndarray]:
    """x (one input) or {input name: x} as arrays, layouts checked."""
    names = list(model.inputs)
    if isinstance(x, Mapping):
        if set(x) != set(names):
            raise DataError(f"{src}: the inputs are named {', '.join(map(str, x))} but the "
                            f"model's are {', '.join(names)}")
        arrays = {k: _as_array(f"{src} '{k}'", x[k]) for k in names}
    elif len(names) == 1:
        arrays = {names[0]: _as_array(src, x)}
    else:
        raise DataError(f"{src}: the model has {len(names)} inputs ({', '.join(names)}); give "
                        "x as {input name: array}")
    for k, a in arrays.items():
        _check_layout(src, "x" if len(names) == 1 else f"'{k}'", a.shape, a.dtype, model, k)
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise DataError(f"{src}: the inputs hold different numbers of samples; give the same")
    return arrays


def _labels_of(src: str, y: Any, n: int, model: _Model) -> np.ndarray:
    labels = _as_array(src, y)
    _check_label_header(src, labels.shape, labels.dtype, n)
    _check_label_values(src, labels, model.classes)
    return labels.astype(np.int64)


def _from_arrays(x: Any, y: Any, model: _Model, samples: int | None, seed: int) -> Data:
    src = "data"
    arrays = _inputs_of(src, x, model)
    n = len(next(iter(arrays.values())))
    labels = _labels_of(src, y, n, model) if y is not None else None
    index = _draw(src, n, samples, seed, model)
    feeds = {k: _finish(src, "x" if len(arrays) == 1 else f"'{k}'", a[index], model, k)
             for k, a in arrays.items()}
    return Data(feeds, labels[index] if labels is not None else None, index, "arrays")


def _from_batches(batches: Iterable[Any], model: _Model, samples: int | None) -> Data:
    """Batches in order until ``samples`` (all of them when None), within the memory budget."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in model.inputs}
    label_parts: list[np.ndarray] = []
    labelled: bool | None = None
    n = 0
    for i, item in enumerate(batches):
        src = f"data batch {i}"
        if isinstance(item, tuple | list) and len(item) == 2:
            xb, yb = item
        else:
            xb, yb = item, None
        if labelled is None:
            labelled = yb is not None
        elif labelled != (yb is not None):
            raise DataError(f"{src}: has {'no ' if labelled else ''}labels, unlike batch 0; "
                            "give (x, y) in every batch or x alone in every batch")
        arrays = _inputs_of(src, xb, model)
        size = len(next(iter(arrays.values())))
        take = size if samples is None else min(size, samples - n)
        _check_memory(src, model, n + take)
        for k, a in arrays.items():
            parts[k].append(_finish(src, "x" if len(arrays) == 1 else f"'{k}'", a[:take],
                                    model, k))
        if yb is not None:
            label_parts.append(_labels_of(src, yb, size, model)[:take])
        n += take
        if samples is not None and n >= samples:
            break
    if n == 0:
        raise DataError("data: the batches hold no samples")
    if samples is not None and n < samples:
        raise DataError(f"data: the batches hold {n:,} samples, fewer than --samples "
                        f"{samples:,}; give at most {n:,}")
    feeds = {k: np.concatenate(v) for k, v in parts.items()}
    return Data(feeds, np.concatenate(label_parts) if labelled else None, None, "batches")


# ---------------------------------------------------------------- image folders


def _scan(path: Path) -> tuple[list[Path], np.ndarray | None, list[str]]:
    """Image files in order, their labels (None: unlabelled) and the class names."""
    def images(folder: Path) -> list[Path]:
        found = []
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [Path(root) / f for f in sorted(files)
                      if not f.startswith(".") and f.lower().endswith(IMAGE_SUFFIXES)]
        return found

    entries = sorted(os.scandir(path), key=lambda e: e.name)
    classes = [e.name for e in entries if e.is_dir() and not e.name.startswith(".")]
    top = [Path(e.path) for e in entries
           if e.is_file() and e.name.lower().endswith(IMAGE_SUFFIXES) and e.name[0] != "."]
    if classes and top:
        raise DataError(f"{path}: holds both images and sub-folders; put every image in its "
                        "class's sub-folder (labelled) or all directly in the folder (unlabelled)")
    if not classes:
        if not top:
            raise DataError(f"{path}: no PNG or JPEG image in the folder; give images directly "
                            "in it (unlabelled) or in one sub-folder per class")
        return top, None, []
    files: list[Path] = []
    labels: list[int] = []
    for k, name in enumerate(classes):
        found = images(path / name)
        files += found
        labels += [k] * len(found)
    if not files:
        raise DataError(f"{path}: no PNG or JPEG image in its {len(classes)} class sub-folders")
    return files, np.asarray(labels, np.int64), classes


def _from_folder(path: Path, model: _Model, samples: int | None, seed: int,
                 pre: Preprocess) -> Data:
    src = str(path)
    if len(model.inputs) != 1:
        raise DataError(f"{src}: an image folder feeds one input, but the model has "
                        f"{len(model.inputs)} ({', '.join(model.inputs)}); give an .npz")
    ((name, shape),) = model.inputs.items()
    if len(shape) != 4 or shape[1] not in (1, 3) or model.dtypes[name].kind != "f":
        raise DataError(f"{src}: the model's input '{name}' is {model.dtypes[name]} "
                        f"{model.dims(name)}, not images (N, 1 or 3, H, W); give an .npz")
    channels, h, w = shape[1:]
    if pre.resize is not None and not max(h, w) <= pre.resize <= MAX_RESIZE:
        raise DataError(f"--resize {pre.resize}: the shorter side must be resized to at least "
                        f"the model's {h}×{w} crop (and at most {MAX_RESIZE:,}); give "
                        f"--resize {max(h, w)} or more")
    mean, std = pre.resolved(channels)
    try:
        from PIL import Image
    except ImportError:
        raise DataError(f"{src}: reading images needs Pillow: pip install "
                        "'imcsim[images]'") from None
    files, labels, classes = _scan(path)
    if labels is not None and model.classes is not None and len(classes) > model.classes:
        raise DataError(f"{src}: {len(classes)} class sub-folders but the model has "
                        f"{model.classes} outputs; labels are sub-folder positions in sorted order")
    index = _draw(src, len(files), samples, seed, model)
    x = np.empty((len(index), channels, h, w), model.dtypes[name])
    for j, i in enumerate(index):
        x[j] = _image(files[i], Image, channels, h, w, pre.resize, mean, std)
    return Data({name: _finish(src, "the images", x, model, name)},
                labels[index] if labels is not None else None, index, src,
                pre.to_dict(channels))


def _image(file: Path, Image: Any, channels: int, h: int, w: int, resize: int | None,
           mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """One image as float32 (channels, h, w): converted, resized/cropped, normalised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as im:
                if im.mode not in _8BIT_MODES:
                    raise DataError(f"{file}: a {im.mode} image; give 8-bit images (grey or "
                                    "RGB)")
                im = im.convert("RGB" if channels == 3 else "L")
                bilinear = getattr(Image, "Resampling", Image).BILINEAR  # Pillow < 9.1: Image
                if resize is None:
                    im = im.resize((w, h), bilinear)
                else:
                    w0, h0 = im.size
                    size = ((resize, int(resize * h0 / w0)) if w0 <= h0
                            else (int(resize * w0 / h0), resize))
                    im = im.resize(size, bilinear)
                    left = int(round((im.width - w) / 2.0))
                    top = int(round((im.height - h) / 2.0))
                    im = im.crop((left, top, left + w, top + h))
                a = np.asarray(im, dtype=np.float32) / np.float32(255.0)
    except DataError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f"{file}: cannot read as an image ({first[:200]}); give a PNG or "
                        "JPEG file") from None
    a = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
    return (a - mean[:, None, None]) / std[:, None, None]
