"""Layer IR → arrays: im2col matrices, bit slices, signed schemes, tiles, copies, placement."""

from imcsim.compiler.mapping.placement import LayerMapping, Mapping, map_network, parse_duplication
from imcsim.compiler.mapping.spec import ArraySpec, SignedScheme
from imcsim.compiler.mapping.tiling import Tiling, tile

__all__ = [
    "ArraySpec", "LayerMapping", "Mapping", "SignedScheme", "Tiling", "map_network",
    "parse_duplication", "tile",
]
