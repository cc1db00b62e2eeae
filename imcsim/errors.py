"""imcsim's exception tree (the root lives in :mod:`imcsim.compiler.errors`)."""

from imcsim.compiler.errors import ImcsimError, MappingError, MatrixError, ModelError


class ConfigError(ImcsimError):
    """An architecture config that cannot be parsed or fails validation."""


class DataError(ImcsimError):
    """Data for an accuracy run (a file, a folder of images, arrays) that cannot be used."""


__all__ = ["ConfigError", "DataError", "ImcsimError", "MappingError", "MatrixError", "ModelError"]
