"""Write ``seeds/world_outline_110m.json``: country outlines for the world map of ``connsim.plots``.

A one-off script, run once by hand; connsim only reads its output (no map or tile download at run time).
Its input is Natural Earth's 1:110m "Admin 0 - Countries" (public domain, naturalearthdata.com) as
geopandas 0.14.4 ships it inside its wheel (``geopandas/datasets/naturalearth_lowres``, 177 countries,
with geopandas' fix of the ISO codes that Natural Earth leaves as -99 for France, Norway and Kosovo)::

    pip download geopandas==0.14.4 --no-deps -d /tmp/ne
    python seeds/outline.py /tmp/ne/geopandas-0.14.4-py3-none-any.whl

It reads the shapefile with the standard library alone (polygons, shape type 5; the attribute table),
drops Antarctica, rounds every coordinate to 0.1 degree (a millimetre of a 1:110m map is about 1 degree),
keys each outline by ISO3 (Somaliland as Somalia and Northern Cyprus as Cyprus, the UN members the model
holds them part of; ``null`` for territories that are not a state of ``seeds/countries.csv``: Greenland,
Western Sahara, Taiwan, Kosovo, Palestine, ...) and writes rings as flat integer lists in tenths of a degree.
"""

from __future__ import annotations

import json
import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
INNER = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"
OUT = HERE / "world_outline_110m.json"
#: Natural Earth draws these apart from the state the model holds them part of (UN membership)
DE_JURE = {"Somaliland": "SOM", "N. Cyprus": "CYP"}


def read_dbf(data: bytes) -> list[dict]:
    """The attribute table of a dBase III file (text and number fields)."""
    n = struct.unpack("<I", data[4:8])[0]
    header_len, record_len = struct.unpack("<HH", data[8:12])
    fields, i = [], 32
    while data[i] != 0x0D:
        fields.append((data[i : i + 11].split(b"\0")[0].decode(), data[i + 16]))
        i += 32
    rows = []
    for r in range(n):
        at = header_len + r * record_len + 1  # the first byte is the deletion flag
        row = {}
        for name, length in fields:
            row[name] = data[at : at + length].decode("latin-1").strip()
            at += length
        rows.append(row)
    return rows


def read_polygons(data: bytes) -> list[list[list[tuple[float, float]]]]:
    """The rings of each record of a polygon shapefile (shape type 5)."""
    shapes, at = [], 100
    while at < len(data):
        length = struct.unpack(">I", data[at + 4 : at + 8])[0] * 2
        rec = data[at + 8 : at + 8 + length]
        kind = struct.unpack("<i", rec[:4])[0]
        if kind != 5:
            raise ValueError(f"shape type {kind} is not a polygon")
        n_parts, n_points = struct.unpack("<ii", rec[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", rec[44 : 44 + 4 * n_parts])) + [n_points]
        xy = struct.unpack(f"<{2 * n_points}d", rec[44 + 4 * n_parts : 44 + 4 * n_parts + 16 * n_points])
        pts = list(zip(xy[0::2], xy[1::2]))
        shapes.append([pts[parts[k] : parts[k + 1]] for k in range(n_parts)])
        at += 8 + length
    return shapes


def ring_tenths(ring: list[tuple[float, float]]) -> list[int]:
    """A ring as [lon0, lat0, lon1, lat1, ...] in tenths of a degree, repeated points dropped."""
    out: list[int] = []
    for x, y in ring:
        p = [round(x * 10), round(y * 10)]
        if out[-2:] != p:
            out += p
    return out


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        shp, dbf = z.read(INNER + ".shp"), z.read(INNER + ".dbf")
    rows, shapes = read_dbf(dbf), read_polygons(shp)
    import csv

    with open(HERE / "countries.csv", newline="") as f:
        states = {r["iso3"] for r in csv.DictReader(f)}
    outlines = []
    for row, rings in zip(rows, shapes):
        if row["name"] == "Antarctica":
            continue
        iso3 = DE_JURE.get(row["name"], row["iso_a3"])
        iso3 = iso3 if iso3 in states else None
        kept = [r for r in (ring_tenths(r) for r in rings) if len(r) >= 8]
        outlines.append({"iso3": iso3, "name": row["name"], "rings": kept})
    doc = {
        "source": "Natural Earth 1:110m Admin 0 - Countries (public domain, naturalearthdata.com), as shipped in the "
        "geopandas 0.14.4 wheel (geopandas/datasets/naturalearth_lowres); written by seeds/outline.py",
        "units": "rings as flat lists [lon, lat, lon, lat, ...] in tenths of a degree (WGS 84)",
        "outlines": outlines,
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    matched = sum(o["iso3"] is not None for o in outlines)
    print(f"wrote {OUT.name}: {len(outlines)} outlines, {matched} of them states of countries.csv")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python seeds/outline.py geopandas-0.14.4-py3-none-any.whl")
    main(sys.argv[1])
