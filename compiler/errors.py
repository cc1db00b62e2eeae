"""The exception tree shared by the whole project.

``compiler`` never imports ``imcsim``, so the root of the tree lives here and
``imcsim.errors`` re-exports it. Every message says what was wrong, where and what to do;
the CLI prints it as one line and exits with code 2.
"""

from __future__ import annotations


class ImcsimError(Exception):
    """Root of every error a user can cause (bad file, bad config, unsupported model)."""


class ModelError(ImcsimError):
    """An ONNX file that is missing, malformed, dynamic or uses unsupported operators."""


class MappingError(ImcsimError):
    """A model that cannot be mapped onto the given arrays (e.g. a bad duplication)."""


class MatrixError(ImcsimError):
    """A sparse matrix file that is missing or corrupt."""
