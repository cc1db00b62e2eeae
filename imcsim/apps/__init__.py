"""Beyond neural networks: the crossbar applications of the review (sections 3.2, 3.3, 4.2),
each with its quality on the simulated hardware next to the same algorithm in float, the
analog products it needed, and their energy and time from the cost model.

``imcsim app list`` / ``imcsim app NAME …``; from Python ``imcsim.apps.kmeans(...)``
(etc.), each returning an :class:`AppReport`: ``report.app.hw``, ``report.app.float``, …
the fields of the JSON's ``app`` section. Every application runs its products through
:class:`imcsim.apps.engine.AnalogMatrix` — the compiler's matrix mapping, the functional
tile kernels with the configured non-idealities, the network simulator's cost model.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imcsim.api import Overrides, Report, _arch_file, load_arch
from imcsim.apps.engine import AppResult, DeviceUpdate
from imcsim.config import Arch


@dataclass(frozen=True, slots=True)
class AppInfo:
    name: str
    about: str
    source: str  # the paper it reproduces
    higher_is_better: bool = True  # of its quality metric (app.hw)


APP_PREFIX = "app:"  # `imcsim sweep app:NAME`: an application in place of a model


APPS = {a.name: a for a in (
    AppInfo("kmeans", "online K-means with a crossbar distance engine, centroids learnt on "
            "the array", "Jeong et al., Nano Letters 2018"),
    AppInfo("pca", "online principal components by Sanger's rule, learnt on the array",
            "Choi et al., Nano Letters 2017"),
    AppInfo("sparse-coding", "image patches coded by a locally competitive algorithm, the "
            "dictionary read forwards and transposed", "Sheridan et al., Nature "
            "Nanotechnology 2017", higher_is_better=False),
    AppInfo("dct", "blockwise 2-D DCT compression, the inverse read transposed",
            "Li et al., Nature Electronics 2018"),
    AppInfo("edge", "Sobel/Prewitt/Laplacian edge detection, kernels in signed conductances",
            "Li et al., Nature Electronics 2018"),
    AppInfo("maxcut", "max-cut with a Hopfield network whose noise is annealed",
            "Cai et al., Nature Electronics 2020"),
    AppInfo("cs", "compressed sensing: measurement and AMP recovery on one array, forwards "
            "and transposed", "Le Gallo et al., IEDM 2017", higher_is_better=False),
)}


class AppReport(Report):
    """An application's report: the ``app`` section (:class:`AppResult` as JSON) and the
    provenance; ``image`` holds the output picture of an image application."""

    __slots__ = ("image", "outputs")

    def __init__(self, data: dict[str, Any], inputs: tuple[str | None, ...],
                 image: Any = None, outputs: dict[str, Any] | None = None) -> None:
        super().__init__("app", data, lambda console, **kw: render_app(data, console), (),
                         inputs)
        self.image = image
        self.outputs = outputs or {}  # the application's arrays (labels, spins, …)


def _report(result: AppResult, arch: Arch, files: tuple[str | None, ...], seed: int,
            image: Any = None) -> AppReport:
    from imcsim.report import provenance

    data = {"app": result.to_json(), "arch": {"name": arch.name},
            "imcsim": provenance(arch, files, seed)}
    return AppReport(data, files, image, result.outputs)


def _run(arch: str | os.PathLike[str] | Arch, set: Overrides, seed: int,
         body: Callable[[Arch], AppResult]) -> AppReport:
    arch_obj = load_arch(arch, set)
    return _report(body(arch_obj), arch_obj, (_arch_file(arch),), seed)


def _picture(arch: str | os.PathLike[str] | Arch, set: Overrides, seed: int, image: str,
             body: Callable[[Arch], tuple[AppResult, Any]]) -> AppReport:
    """An image application: its report keeps the picture and names the image file read."""
    arch_obj = load_arch(arch, set)
    result, picture = body(arch_obj)
    files = (_arch_file(arch), image if os.path.isfile(image) else None)
    return _report(result, arch_obj, files, seed, picture)


def kmeans(arch: str | os.PathLike[str] | Arch = "rram_128", *, set: Overrides = None,
           dataset: str = "iris", clusters: int | None = None, epochs: int = 10,
           rate: float = 0.1, update_step: float = 1 / 64, nonlinearity: float = 0.0,
           c2c: float = 0.0, seed: int = 0) -> AppReport:
    """Online K-means on scikit-learn's ``dataset`` (:mod:`imcsim.apps.clustering`); quality:
    the adjusted Rand index against the labels."""
    from imcsim.apps.clustering import kmeans as run

    update = DeviceUpdate(update_step, nonlinearity, c2c)
    return _run(arch, set, seed, lambda a: run(a, dataset=dataset, clusters=clusters,
                                               epochs=epochs, rate=rate, update=update,
                                               seed=seed))


def pca(arch: str | os.PathLike[str] | Arch = "rram_128", *, set: Overrides = None,
        dataset: str = "breast_cancer", components: int = 2, epochs: int = 3,
        rate: float = 0.001, update_step: float = 1 / 256, nonlinearity: float = 0.0,
        c2c: float = 0.0, seed: int = 0) -> AppReport:
    """Online PCA by Sanger's rule on scikit-learn's ``dataset`` (:mod:`imcsim.apps.subspace`;
    updates rounded stochastically to whole pulses); quality: a logistic regression's
    held-out accuracy on the projection."""
    from imcsim.apps.subspace import pca as run

    update = DeviceUpdate(update_step, nonlinearity, c2c, stochastic=True)
    return _run(arch, set, seed, lambda a: run(a, dataset=dataset, components=components,
                                               epochs=epochs, rate=rate, update=update,
                                               seed=seed))


def sparse_coding(arch: str | os.PathLike[str] | Arch = "rram_128", *, set: Overrides = None,
                  image: str = "china", patch: int = 8, atoms: int = 128, samples: int = 100,
                  lam: float = 0.1, steps: int = 40, rate: float = 0.15,
                  seed: int = 0) -> AppReport:
    """Image patches coded by the LCA on a learnt dictionary (:mod:`imcsim.apps.coding`);
    quality: the mean relative reconstruction error."""
    from imcsim.apps.coding import sparse_coding as run

    return _run(arch, set, seed, lambda a: run(a, image=image, patch=patch, atoms=atoms,
                                               samples=samples, lam=lam, steps=steps,
                                               rate=rate, seed=seed))


def dct(arch: str | os.PathLike[str] | Arch = "rram_128", *, set: Overrides = None,
        image: str = "china", keep: float = 0.15, block: int = 8, seed: int = 0) -> AppReport:
    """Blockwise DCT compression of an image (:mod:`imcsim.apps.transform`); quality: PSNR
    of the reconstruction; ``report.image`` is the hardware's reconstruction."""
    from imcsim.apps.transform import dct as run

    return _picture(arch, set, seed, image,
                    lambda a: run(a, image=image, keep=keep, block=block, seed=seed))


def cs(arch: str | os.PathLike[str] | Arch = "rram_128", *, set: Overrides = None,
       n: int = 256, m: int = 128, sparsity: float = 0.05, iterations: int = 30,
       threshold: float = 1.5, seed: int = 0) -> AppReport:
    """Compressed sensing of a seeded sparse signal (:mod:`imcsim.apps.sensing`); quality:
    the recovery's NMSE in dB."""
    from imcsim.apps.sensing import cs as run

    return _run(arch, set, seed, lambda a: run(a, n=n, m=m, sparsity=sparsity,
                                               iterations=iterations, threshold=threshold,
                                               seed=seed))


def edge(arch: str | os.PathLike[str] | Arch = "rram_128", *, set: Overrides = None,
         image: str = "flower", kernel: str = "sobel", seed: int = 0) -> AppReport:
    """Edge map of a sample image or a PNG/JPEG file (:mod:`imcsim.apps.images`); quality:
    PSNR against ``scipy.ndimage``; ``report.image`` is the hardware's edge map."""
    from imcsim.apps.images import edge as run

    return _picture(arch, set, seed, image,
                    lambda a: run(a, image=image, kernel=kernel, seed=seed))


def maxcut(arch: str | os.PathLike[str] | Arch = "rram_128", *, set: Overrides = None,
           nodes: int = 60, density: float = 0.5, trials: int = 100, sweeps: int = 10,
           noise: tuple[float, float] = (0.3, 0.0), seed: int = 0) -> AppReport:
    """Max-cut of a seeded random graph on an annealed Hopfield network
    (:mod:`imcsim.apps.hopfield`); quality: the mean cut over the best known one."""
    from imcsim.apps.hopfield import maxcut as run

    return _run(arch, set, seed, lambda a: run(a, nodes=nodes, density=density, trials=trials,
                                               sweeps=sweeps, noise=noise, seed=seed))


def app_name(model: str) -> str | None:
    """The application ``app:NAME`` names (None: not an application); an unknown one is a
    one-line error listing them."""
    from imcsim.errors import ImcsimError

    if not str(model).startswith(APP_PREFIX):
        return None
    name = str(model)[len(APP_PREFIX):]
    if name not in APPS:
        raise ImcsimError(f"{model}: no such application; choose one of "
                          f"{', '.join(APP_PREFIX + n for n in APPS)}")
    return name


def run_app(name: str, arch: Arch, seed: int) -> dict[str, Any]:
    """The ``app`` section of one application run with its defaults on ``arch`` (a
    sweep's point): the public function of that name."""
    run: Callable[..., AppReport] = globals()[name.replace("-", "_")]
    return run(arch, seed=seed).to_dict()["app"]


def render_app(data: dict[str, Any], console: Any) -> None:
    from imcsim.report import _si
    from imcsim.tables import Table

    a = data["app"]
    t = Table(title=f"{a['name']} on {data['arch']['name']} ({APPS[a['name']].source})",
              show_header=True)
    for col in ("", "hardware", "float"):
        t.add_column(col, justify="right" if col else "left")

    def show(v: Any) -> str:
        if v is None:
            return "—"
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    t.add_row(a["quality_metric"], show(a["hw"]), show(a["float"]))
    t.add_row("analog products", f"{a['analog_mvms']:,}", "")
    t.add_row("arrays", str(a["arrays"]), "")
    t.add_row("energy", _si(a["energy_j"], "J"), "")
    t.add_row("time (products one after another)", _si(a["time_s"], "s"), "")
    for key, value in a["details"].items():
        t.add_row(key.replace("_", " "), show(value), "")
    console.print(t)


__all__ = ["APPS", "AppReport", "AppResult", "DeviceUpdate", "cs", "dct", "edge", "kmeans",
           "maxcut", "pca", "sparse_coding"]
