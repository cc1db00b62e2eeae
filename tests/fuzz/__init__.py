"""Fuzzing suite for the ``imcsim`` command line: hostile and extreme inputs of every kind.

``cases`` defines a case (argv, files to create, what is expected), the ``gen_*`` modules
generate them, ``harness`` runs one in a fresh temporary folder and classifies the result,
``test_fuzz`` runs a bounded CI subset (and the full set under ``-m fuzz_full``), and
``run_all`` runs everything and prints totals (``make fuzz``).
"""

import os as _os
import tempfile as _tempfile

# Hypothesis keeps caches (Unicode tables, constants) in ./.hypothesis by default: keep
# them out of the repository, in the system's temporary folder.
_os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", _os.path.join(
    _tempfile.gettempdir(), f"imcsim-fuzz-hypothesis-{_os.getuid()}"))
try:
    from hypothesis.configuration import set_hypothesis_home_dir as _home

    _home(_os.environ["HYPOTHESIS_STORAGE_DIRECTORY"])
except ImportError:  # hypothesis missing: test_fuzz fails at import, saying so
    pass
