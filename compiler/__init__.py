"""imcsim's compiler: ONNX graphs → layer IR → tiled crossbar mappings.

Never imports :mod:`imcsim`; the few array facts it needs come in as
:class:`compiler.mapping.ArraySpec`.
"""

from compiler.errors import ImcsimError, MappingError, MatrixError, ModelError

__all__ = ["ImcsimError", "MappingError", "MatrixError", "ModelError"]
