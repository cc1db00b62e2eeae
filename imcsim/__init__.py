"""imcsim: cost models, simulator, reports and CLI for memristive IMC accelerators.

The Python API (:mod:`imcsim.api`; heavy modules load on first use)::

    import imcsim
    arch = imcsim.load_arch("rram_128", set={"adc.bits": 6})
    rep = imcsim.compile("models/resnet18.onnx", arch)
    rep.energy.tops_per_w
    imcsim.accuracy("models/digits_cnn.onnx", arch, data="mine.npz").accuracy.hw_top1
    imcsim.sparse("m.mtx", arch).strategies;  imcsim.solve("m.mtx", None, arch).x
    imcsim.compare(["a.onnx", "b.onnx"], ["isaac", arch]).metrics  # models × architectures
    imcsim.apps.kmeans(arch, dataset="iris").app.hw  # the review's crossbar applications
"""

__version__ = "0.1.0"

from imcsim.api import (  # noqa: E402
    Report,
    accuracy,
    compare,
    compile,
    load_arch,
    load_model,
    pagerank,
    peak,
    solve,
    sparse,
)
from imcsim.sweep import sweep  # noqa: E402  (imcsim.sweep(...): the Python sweep API)


def __getattr__(name: str) -> object:
    """``imcsim.apps`` loads on first use."""
    if name == "apps":
        import importlib

        return importlib.import_module("imcsim.apps")
    raise AttributeError(f"module 'imcsim' has no attribute '{name}'")


__all__ = ["Report", "__version__", "accuracy", "apps", "compare", "compile", "load_arch",
           "load_model", "pagerank", "peak", "solve", "sparse", "sweep"]
