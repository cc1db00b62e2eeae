"""Each point's architecture, built from the base config parsed once.

``config.load_arch`` reads and parses the YAML file on every call (≈ 4 ms); a sweep parses
it once, then per point copies the parsed mapping, applies the point's values exactly as
``--set key=value`` would, and runs the same validation and build steps as ``load_arch``.
Only the sections a point changes (``array``, ``adc``, …) are rebuilt, and each built
section is cached by its values, so most points cost a few dictionary look-ups. A point whose config fails validation raises :class:`ConfigError` listing
every problem, which the sweep records as the point's reason.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from imcsim import config, yamlsafe
from imcsim.errors import ConfigError, ImcsimError
from imcsim.sweep.space import PSEUDO_KEYS, Scalar

_SECTION_CACHE = 4096  # built sections kept (a few hundred bytes each)


def _override(key: str, value: Scalar) -> str:
    """``key=value`` text that ``--set`` reads back as the same value (JSON ⊂ YAML)."""
    return f"{key}={json.dumps(value)}"


class ArchBuilder:
    """The base config (file or preset + fixed ``--set`` overrides) and the points on it."""

    def __init__(self, arch: str | None, fixed: Sequence[str] = ()) -> None:
        self.base = config.load_arch(arch, fixed)  # every problem of the base, as compile says
        self.label, path = config.resolve(arch)
        if path is None:
            text = (config.preset_root() / f"{self.label}.yaml").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        self.text_sha256 = hashlib.sha256(text.encode()).hexdigest()
        self.fixed = tuple(fixed)
        raw = yamlsafe.load(text)
        errors: list[str] = []
        for item in fixed:
            config.apply_override(raw, item, errors)
        self._raw: dict[str, Any] = raw
        hints = typing.get_type_hints(config.Arch)
        # sections whose fields are plain values: a point rebuilds only the ones it changes
        self._sections = {f.name: hints[f.name] for f in dataclasses.fields(config.Arch)
                          if dataclasses.is_dataclass(hints[f.name])
                          and isinstance(raw.get(f.name, {}) or {}, dict)}
        self._cache: dict[tuple[str, tuple[tuple[str, Scalar], ...]], tuple[Any, list[str]]] = {}

    def check_key(self, key: str, option: str) -> None:
        """Fail (one line) when ``key`` is not a config value key or is fixed by ``--set``."""
        if key in PSEUDO_KEYS:
            return
        errors: list[str] = []
        config.apply_override({}, f"{key}=0", errors)
        if errors:
            raise ImcsimError(errors[0].replace("--set ", f"{option} ", 1))
        fixed = {s.split("=", 1)[0].strip() for s in self.fixed}
        if key in fixed:
            raise ImcsimError(f"{option} {key}: also fixed by --set {key}=…; sweep it or fix it, "
                              "not both")

    def build(self, values: Mapping[str, Scalar]) -> config.Arch:
        """The point's Arch (``duplication``, ``arch`` and ``model`` are skipped: they are not
        config keys)."""
        groups: dict[str, list[tuple[str, Scalar]]] = {}
        for key, value in values.items():
            if key not in PSEUDO_KEYS:
                groups.setdefault(key.split(".", 1)[0], []).append((key, value))
        if not all(s in self._sections for s in groups):
            return self._build_whole(values)
        errors: list[str] = []
        built: dict[str, Any] = {}
        for section in self._sections:  # in the config's field order, as load_arch reports
            if section not in groups:
                continue
            obj, errs = self._section(section, tuple(groups[section]))
            built[section] = obj
            errors.extend(errs)
        if not errors:
            arch = dataclasses.replace(self.base, **built)
            errors.extend(config.cross_checks(arch))
        if errors:
            raise self._error(errors)
        return arch

    def _section(self, section: str, items: tuple[tuple[str, Scalar], ...]) -> tuple[Any, list[str]]:
        """One section of the config with the point's values, built and validated as
        ``load_arch`` builds it (cached: most points share most section values)."""
        key = (section, items)
        hit = self._cache.get(key)
        if hit is None:
            raw = copy.deepcopy(self._raw.get(section)) or {}
            for k, v in items:
                raw[k.split(".", 1)[1]] = v
            errors: list[str] = []
            obj = config.build_section(self._sections[section], raw, section, errors)
            if len(self._cache) >= _SECTION_CACHE:
                self._cache.pop(next(iter(self._cache)))
            hit = self._cache[key] = (obj, errors)
        return hit

    def _build_whole(self, values: Mapping[str, Scalar]) -> config.Arch:
        """Any key (top-level fields, ``overrides``): the whole config, as ``--set`` does."""
        raw = copy.deepcopy(self._raw)
        errors: list[str] = []
        for key, value in values.items():
            if key not in PSEUDO_KEYS:
                config.apply_override(raw, _override(key, value), errors)
        arch = config.build_section(config.Arch, raw, "", errors)
        if not errors:
            errors.extend(config.cross_checks(arch))
        if errors:
            raise self._error(errors)
        return dataclasses.replace(arch, source=self.label)

    def _error(self, errors: list[str]) -> ConfigError:
        """The message ``load_arch`` (so ``imcsim compile --set``) gives for these problems."""
        return ConfigError(f"{self.label}: {len(errors)} problem(s): " + "; ".join(errors))
