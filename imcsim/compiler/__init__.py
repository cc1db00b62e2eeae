"""imcsim's compiler: ONNX graphs → layer IR → tiled crossbar mappings.

Its code is the repository's top-level ``compiler/`` folder (the project's layout); a
wheel installs that folder here, as ``imcsim.compiler`` (pyproject.toml's package-dir).
In a source tree, or an editable install, this file stands in for it and points the
package's path at that folder, so ``imcsim.compiler.ir`` and the rest load from there.
"""

import os as _os

_SOURCE = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.dirname(
    _os.path.abspath(__file__)))), "compiler")
__path__ = [_SOURCE]  # noqa: F821 - a package's own __path__, rebound

with open(_os.path.join(_SOURCE, "__init__.py"), encoding="utf-8") as _f:
    exec(compile(_f.read(), _f.name, "exec"))  # the real package's own __init__
