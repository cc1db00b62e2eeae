"""``imcsim compare``: models × architectures side by side, one metric per row.

Every combination is computed by the public API — :func:`imcsim.compile` (and
:func:`imcsim.accuracy` with ``--accuracy``) on the model parsed once and the architecture
loaded once with the same ``--set`` — so each value is the one ``imcsim compile MODEL
--arch A --json`` reports. :func:`imcsim.compare` is the entry point; this package holds
the table (:mod:`.table`: metrics, best of each row, terminal rendering), the HTML page
(:mod:`.html`) and the command's options (:mod:`.cli`).

JSON report of ``imcsim compare`` (SI units, as the compile report):

- ``models``: per model ``name`` (its label: the file stem, or the path where two stems
  clash), ``path`` (null for a network built in memory), ``batch``
- ``archs``: per architecture ``label`` (the preset name or file stem given, or the path
  where two clash), ``name`` (the config's), ``source``, ``config`` (resolved after every
  ``--set``)
- ``set``: the overrides applied on top of every architecture (``key=value``),
  ``duplication``, ``accuracy`` (null, or ``dataset``, ``samples``, ``seed``,
  ``batch_size`` as given; null where the default applies)
- ``columns``: one per model × architecture, models outermost: ``label`` (``MODEL @
  ARCH``), ``model``, ``arch``, ``status`` (``ok``, or ``failed`` when the combination
  could not be computed, e.g. an architecture without a unit the model needs),
  ``reason`` (the one-line error; null when ok), ``warnings`` (compile's and accuracy's),
  ``layers`` (per crossbar layer ``name``, ``op``, ``energy_j`` per inference; empty when
  failed)
- ``metrics``: one per row: ``key`` (the key path in ``imcsim compile --json``, or
  ``accuracy.*`` in ``imcsim accuracy --json``), ``label``, ``unit``, ``direction``
  (``min`` or ``max``: which value is best), ``values`` (one per column; null where
  missing), ``best`` (the labels of the columns holding the best value; empty when fewer
  than two columns have a value or all values are equal — nothing to single out)
- ``imcsim``: the provenance block (version, schema version, command, seed — the accuracy
  seed, null without accuracy —, every input file's hash); each architecture's resolved
  config is in ``archs``.
"""
