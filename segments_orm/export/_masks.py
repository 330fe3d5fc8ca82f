"""Mask arithmetic for the exporters, in numpy alone: regions, COCO RLE, colours.

Everything here works on ``uint32`` instance-id arrays as decoded from the platform's
bitmaps, so ids above 255 (or 65535) keep their identity. numpy is imported by the
caller's first use (this module is imported only when an export runs).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

# The palette the platform's exporters colour instances and uncoloured categories with
# (colour n for id n + 1, cycling). A list of 36 colours is data, not code: the same
# palette is what makes our colour PNGs equal to the platform's.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 113, 188),
    (216, 82, 24),
    (236, 176, 31),
    (125, 46, 141),
    (118, 171, 47),
    (76, 189, 237),
    (161, 19, 46),
    (255, 0, 0),
    (255, 127, 0),
    (190, 190, 0),
    (0, 255, 0),
    (0, 0, 255),
    (170, 0, 255),
    (84, 84, 0),
    (84, 170, 0),
    (84, 255, 0),
    (170, 84, 0),
    (170, 170, 0),
    (170, 255, 0),
    (255, 84, 0),
    (255, 170, 0),
    (255, 255, 0),
    (0, 84, 127),
    (0, 170, 127),
    (0, 255, 127),
    (84, 0, 127),
    (84, 84, 127),
    (84, 170, 127),
    (84, 255, 127),
    (170, 0, 127),
    (170, 84, 127),
    (170, 170, 127),
    (170, 255, 127),
    (255, 0, 127),
    (255, 84, 127),
    (255, 170, 127),
)


class Region(NamedTuple):
    """One instance's pixels: COCO box ``[x, y, width, height]`` and pixel count."""

    bbox: list[int]
    area: int


def regions(ids: np.ndarray[Any, Any]) -> dict[int, Region]:
    """Return the box and area of every non-zero id of a 2-D id array.

    One pass over the pixels for all ids (sorting by id once), instead of one mask per
    instance: images with hundreds of instances stay linear.
    """
    width = ids.shape[1]
    flat = ids.ravel()
    labelled = np.flatnonzero(flat)
    if labelled.size == 0:
        return {}
    values = flat[labelled]
    order = np.argsort(values, kind="stable")
    values = values[order]
    positions = labelled[order]
    rows, cols = np.divmod(positions, width)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    counts = np.diff(np.append(starts, values.size))
    row0 = np.minimum.reduceat(rows, starts)
    row1 = np.maximum.reduceat(rows, starts)
    col0 = np.minimum.reduceat(cols, starts)
    col1 = np.maximum.reduceat(cols, starts)
    found: dict[int, Region] = {}
    for k, start in enumerate(starts.tolist()):
        x0, y0 = int(col0[k]), int(row0[k])
        found[int(values[start])] = Region(
            [x0, y0, int(col1[k]) + 1 - x0, int(row1[k]) + 1 - y0], int(counts[k])
        )
    return found


def rle_encode(mask: np.ndarray[Any, Any]) -> dict[str, Any]:
    """Encode a 2-D boolean mask as COCO compressed RLE (what pycocotools writes).

    Runs are counted in column-major order starting with a run of zeros; the counts are
    then packed as the COCO "compressed" string: each count (from the third on, as the
    difference to the count two before) in 5-bit groups, low first, 0x20 marking that
    another group follows, offset by 48 into printable ASCII.
    """
    height, width = mask.shape
    column_major = mask.T.ravel()
    if column_major.size == 0:
        return {"size": [height, width], "counts": ""}
    edges = np.flatnonzero(column_major[1:] != column_major[:-1]) + 1
    runs = np.diff(np.concatenate(([0], edges, [column_major.size]))).tolist()
    if column_major[0]:
        runs.insert(0, 0)
    text: list[str] = []
    for i, count in enumerate(runs):
        value = count - runs[i - 2] if i > 2 else count
        more = True
        while more:
            group = value & 0x1F
            value >>= 5
            more = value != -1 if group & 0x10 else value != 0
            if more:
                group |= 0x20
            text.append(chr(group + 48))
    return {"size": [height, width], "counts": "".join(text)}


def palette_colours(ids: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Colour an id array with `PALETTE` (id n gets colour n - 1, cycling; 0 stays black)."""
    lut = np.asarray(PALETTE, dtype=np.uint8)
    out = np.zeros((*ids.shape, 3), dtype=np.uint8)
    nonzero = ids != 0
    out[nonzero] = lut[(ids[nonzero].astype(np.int64) - 1) % len(PALETTE)]
    return out


def lookup(ids: np.ndarray[Any, Any], table: dict[int, int]) -> np.ndarray[Any, Any]:
    """Map every id of an array through ``table``; ids missing from it map to 0."""
    out = np.zeros(ids.shape, dtype=np.int64)
    if not table:
        return out
    keys = np.fromiter(table.keys(), dtype=np.int64, count=len(table))
    vals = np.fromiter(table.values(), dtype=np.int64, count=len(table))
    order = np.argsort(keys)
    keys, vals = keys[order], vals[order]
    flat = ids.astype(np.int64)
    where = np.clip(np.searchsorted(keys, flat), 0, keys.size - 1)
    hit = keys[where] == flat
    out[hit] = vals[where[hit]]
    return out
