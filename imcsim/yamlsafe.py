"""YAML for untrusted files: PyYAML's safe loader, bounded.

``yaml.safe_load`` builds no objects, but it still expands aliases (a 475-byte "billion
laughs" file names 10⁹ nodes that every later walk visits) and recurses once per nesting
level (a deep file ends in RecursionError). This loader counts the nodes a document
stands for with every alias expanded and refuses more than :data:`MAX_NODES`, more than
:data:`MAX_ALIASES` aliases, nesting deeper than :data:`MAX_DEPTH` and integers with more
than :data:`MAX_DIGITS` digits, and integers written with a leading zero (YAML 1.1 reads
``0200`` as octal 128), each with a :class:`yaml.YAMLError` that callers already turn into
their one-line error.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_ALIASES = 100  # references to anchors (&a / *a): configs need few, if any
MAX_DEPTH = 50  # nesting of mappings and sequences
MAX_DIGITS = 100  # digits of an integer scalar
MAX_NODES = 100_000  # nodes of the document with every alias expanded


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self._nodes = 0
        self._sizes: dict[int, int] = {}

    def _expanded(self, node: Any) -> int:
        """Nodes ``node`` stands for with its aliases expanded (memoised: aliases share)."""
        key = id(node)
        if key not in self._sizes:
            if isinstance(node, yaml.MappingNode):
                size = 1 + sum(self._expanded(k) + self._expanded(v) for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                size = 1 + sum(self._expanded(v) for v in node.value)
            else:
                size = 1
            self._sizes[key] = size
        return self._sizes[key]

    def _count(self, n: int) -> None:
        self._nodes += n
        if self._nodes > MAX_NODES:
            raise yaml.YAMLError(f"the document expands to more than {MAX_NODES:,} nodes "
                                 "(aliases of aliases?)")

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (*name); expand them")
            anchor = self.peek_event().anchor
            if anchor in self.anchors:
                self._count(self._expanded(self.anchors[anchor]))
        else:
            self._count(1)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.YAMLError(f"nesting deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: Any) -> Any:
        text = str(node.value)
        if len(text) > MAX_DIGITS:
            raise yaml.YAMLError(f"an integer of more than {MAX_DIGITS} digits")
        digits = text.lstrip("+-").replace("_", "")
        if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
            # YAML 1.1 reads 0200 as octal 128: almost never what a config means
            value = super().construct_yaml_int(node)
            line = node.start_mark.line + 1
            raise yaml.YAMLError(f"line {line}: {text} has a leading zero, which YAML 1.1 "
                                 f"reads as octal ({value}); write {int(digits):d} for the "
                                 f"decimal value, or {value} if octal was meant")
        return super().construct_yaml_int(node)


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)


def load(text: str) -> Any:
    """``yaml.safe_load`` with the bounds above."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
