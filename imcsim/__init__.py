"""imcsim: cost models, simulator, reports and CLI for memristive IMC accelerators."""

__version__ = "0.1.0"

from imcsim.sweep import sweep  # noqa: E402  (imcsim.sweep(...): the Python sweep API)

__all__ = ["__version__", "sweep"]
