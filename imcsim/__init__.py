"""imcsim: cost models, simulator, reports and CLI for memristive IMC accelerators."""

__version__ = "0.1.0"
