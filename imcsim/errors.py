"""imcsim's exception tree (the root lives in :mod:`compiler.errors`)."""

from compiler.errors import ImcsimError, MappingError, MatrixError, ModelError


class ConfigError(ImcsimError):
    """An architecture config that cannot be parsed or fails validation."""


__all__ = ["ConfigError", "ImcsimError", "MappingError", "MatrixError", "ModelError"]
