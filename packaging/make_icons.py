"""Render the application icon (resources/icons/bpstudio.svg) to every file the installers need.

    python packaging/make_icons.py           # (re)write them
    python packaging/make_icons.py --check   # exit 1 if any is missing or differs from a fresh render

Writes:

- ``resources/icons/hicolor/<N>x<N>/apps/bpstudio.png`` for N in :data:`PNG_SIZES` (the freedesktop
  icon-theme layout: the .deb/.rpm copy that tree to /usr/share/icons/hicolor);
- ``packaging/windows/bpstudio.ico`` (PNG-compressed entries of :data:`ICO_SIZES`, Windows Vista+);
- ``packaging/macos/bpstudio.icns`` (PNG entries, the types of :data:`ICNS_TYPES`).

Qt's SVG renderer draws the PNGs; the .ico and .icns containers are written here (Qt writes a single
image per .ico), so every output is reproducible from the SVG with the pinned PySide6.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "bpstudio.svg"
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
ICO = ROOT / "packaging" / "windows" / "bpstudio.ico"
ICNS = ROOT / "packaging" / "macos" / "bpstudio.icns"

PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: icns element type → pixel size (the @2x types hold the same pixels as the next size up)
ICNS_TYPES = (
    ("icp4", 16),
    ("icp5", 32),
    ("icp6", 64),
    ("ic07", 128),
    ("ic08", 256),
    ("ic09", 512),
    ("ic10", 1024),
    ("ic11", 32),
    ("ic12", 64),
    ("ic13", 256),
    ("ic14", 512),
)
#: largest difference of one colour channel between a stored and a fresh render that --check accepts
TOLERANCE = 2


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(sys.argv[:1])


def render_png(size: int, svg: Path = SVG) -> bytes:
    """The icon as PNG bytes, ``size`` × ``size`` pixels, transparent outside the rounded square."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app()
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding one PNG per size (ICONDIR, ICONDIRENTRYs, then the PNG data)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        blob = pngs[s]
        dim = 0 if s >= 256 else s  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: 'icns', total length, then (type, length, PNG) elements, lengths big-endian."""
    body = b""
    for kind, size in ICNS_TYPES:
        blob = pngs[size]
        body += kind.encode("ascii") + struct.pack(">I", 8 + len(blob)) + blob
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def read_ico(data: bytes) -> dict[int, bytes]:
    """size → PNG bytes of an .ico written by :func:`ico_bytes`."""
    _reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    if kind != 1:
        raise ValueError("not an icon file")
    out = {}
    for i in range(count):
        w, _h, _c, _r, _planes, _bits, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        out[w or 256] = data[offset : offset + length]
    return out


def read_icns(data: bytes) -> dict[str, bytes]:
    """type → PNG bytes of an .icns file."""
    if data[:4] != b"icns" or struct.unpack_from(">I", data, 4)[0] != len(data):
        raise ValueError("not an icns file")
    out, pos = {}, 8
    while pos < len(data):
        kind = data[pos : pos + 4].decode("ascii")
        (length,) = struct.unpack_from(">I", data, pos + 4)
        out[kind] = data[pos + 8 : pos + length]
        pos += length
    return out


def outputs() -> dict[Path, bytes]:
    """Every generated file and its content."""
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | {s for _k, s in ICNS_TYPES})
    pngs = {s: render_png(s) for s in sizes}
    files = {HICOLOR / f"{s}x{s}" / "apps" / "bpstudio.png": pngs[s] for s in PNG_SIZES}
    files[ICO] = ico_bytes({s: pngs[s] for s in ICO_SIZES})
    files[ICNS] = icns_bytes(pngs)
    return files


def png_difference(a: bytes, b: bytes) -> int | None:
    """Largest channel difference between two PNGs of the same size (None if the sizes differ)."""
    from PySide6.QtGui import QImage

    _app()
    ia, ib = QImage.fromData(a), QImage.fromData(b)
    if ia.isNull() or ib.isNull() or ia.size() != ib.size():
        return None
    ia = ia.convertToFormat(QImage.Format.Format_RGBA8888)
    ib = ib.convertToFormat(QImage.Format.Format_RGBA8888)
    da = bytes(ia.constBits())[: ia.sizeInBytes()]
    db = bytes(ib.constBits())[: ib.sizeInBytes()]
    return max((abs(x - y) for x, y in zip(da, db)), default=0)


def _pngs_of(path: Path, data: bytes) -> dict:
    if path.suffix == ".ico":
        return read_ico(data)
    if path.suffix == ".icns":
        return read_icns(data)
    return {"png": data}


def check() -> list[str]:
    """Problems with the stored files (empty when they match a fresh render)."""
    problems = []
    for path, fresh in outputs().items():
        rel = path.relative_to(ROOT)
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        try:
            stored_parts, fresh_parts = _pngs_of(path, path.read_bytes()), _pngs_of(path, fresh)
        except (ValueError, struct.error, UnicodeDecodeError) as exc:
            problems.append(f"{rel}: unreadable ({exc})")
            continue
        if sorted(stored_parts) != sorted(fresh_parts):
            problems.append(f"{rel}: holds {sorted(stored_parts)}, expected {sorted(fresh_parts)}")
            continue
        for key, blob in fresh_parts.items():
            diff = png_difference(stored_parts[key], blob)
            if diff is None or diff > TOLERANCE:
                problems.append(f"{rel} [{key}]: differs from the SVG (max channel difference {diff})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            print("run: python packaging/make_icons.py", file=sys.stderr)
        return 1 if problems else 0
    for path, data in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT)} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
