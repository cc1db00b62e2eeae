"""ONNX front end: the only place that imports ``onnx``."""

from imcsim.compiler.frontend.onnx_import import import_onnx

__all__ = ["import_onnx"]
