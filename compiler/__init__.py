"""imcsim's compiler: ONNX graphs → layer IR → tiled crossbar mappings.

Installed as ``imcsim.compiler``; never imports the rest of :mod:`imcsim` (the simulator,
costs, reports): the few array facts it needs come in as
:class:`imcsim.compiler.mapping.ArraySpec`.
"""

from imcsim.compiler.errors import ImcsimError, MappingError, MatrixError, ModelError

__all__ = ["ImcsimError", "MappingError", "MatrixError", "ModelError"]
