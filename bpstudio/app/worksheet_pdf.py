"""Worksheets as PDF without TeX (issue 16.1): Qt's PDF writer lays out each sheet of
:mod:`bpstudio.teaching.worksheet` on A4 pages: the title and facts, the network figure drawn as
vector graphics (circles, arrows, the weights and biases as text), the weights and the questions (or
the filled-in answers), continued on further pages as needed. Works on any lab machine: no TeX."""

from __future__ import annotations

import os

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen, QTextDocument
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ..engine import EngineError
from ..teaching.worksheet import Sheet, figure_layout, html_body
from .dialogs import ok_cancel

#: points per neuron spacing in the figure (at most; a wide network is scaled down to the page)
SPACING = 46.0


def _document(html: str, width: float) -> QTextDocument:
    doc = QTextDocument()
    font = QFont()
    font.setPointSizeF(10.0)
    doc.setDefaultFont(font)
    doc.setHtml(html)
    doc.setTextWidth(width)
    return doc


def _draw_figure(p: QPainter, sheet: Sheet, area: QRectF) -> float:
    """Draw the network figure at the top of ``area``; returns the height it used."""
    ex = sheet.exercise
    nodes, edges = figure_layout(ex.network, ex.notation.names, max(ex.weight_decimals, 2))
    xs = [n.x for n in nodes]
    ys = [n.y for n in nodes]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    scale = min(SPACING, (area.width() - 120) / max(span_x, 1e-9), 220 / max(span_y, 1e-9))
    radius = min(13.0, scale * 0.3)
    height = span_y * scale + 2 * radius + 30
    x0 = area.left() + (area.width() - span_x * scale) / 2 - min(xs) * scale
    y0 = area.top() + radius + 6 - min(ys) * scale

    def at(n) -> QPointF:
        return QPointF(x0 + n.x * scale, y0 + n.y * scale)

    small = QFont()
    small.setPointSizeF(7.0)
    p.setFont(small)
    p.setPen(QPen(QColor("#444"), 0.8))
    for e in edges:
        a, b = at(e.frm), at(e.to)
        d = b - a
        length = max((d.x() ** 2 + d.y() ** 2) ** 0.5, 1e-9)
        u = QPointF(d.x() / length, d.y() / length)
        start, end = a + u * radius, b - u * radius
        p.drawLine(start, end)
        left = QPointF(-u.y(), u.x())
        p.drawPolygon([end, end - u * 5 + left * 2.5, end - u * 5 - left * 2.5])
        if e.label:
            mid = start + (end - start) * 0.3
            box = QRectF(mid.x() - 16, mid.y() - 6, 32, 12)
            p.fillRect(box, QColor("white"))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, e.label)
    label_font = QFont()
    label_font.setPointSizeF(8.0)
    for n in nodes:
        c = at(n)
        p.setPen(QPen(QColor("#222"), 1.0))
        p.setBrush(QColor("white"))
        p.drawEllipse(c, radius, radius)
        p.setFont(label_font)
        p.drawText(
            QRectF(c.x() - radius, c.y() - radius, 2 * radius, 2 * radius),
            Qt.AlignmentFlag.AlignCenter,
            n.label,
        )
        if n.bias:
            p.setFont(small)
            p.drawText(QRectF(c.x() - 40, c.y() + radius + 1, 80, 10), Qt.AlignmentFlag.AlignCenter, n.bias)
    return height


def write_pdf(path: str | os.PathLike[str], sheets: list[Sheet], answers: bool = False) -> int:
    """Write the sheets (each starting on a new page) to a PDF; returns the number of pages."""
    writer = QPdfWriter(os.fspath(path))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(18, 18, 18, 18)
        )
    )
    writer.setResolution(72)  # one device pixel per point: fonts and lines in points
    writer.setTitle("Backprop Studio worksheet")
    writer.setCreator("bpstudio")
    p = QPainter()
    if not p.begin(writer):
        raise EngineError(f"cannot write {os.fspath(path)}")
    pages = 0
    try:
        page = QRectF(0, 0, writer.width(), writer.height())
        for i, sheet in enumerate(sheets):
            if i:
                writer.newPage()
            pages += 1
            top_html, below_html = html_body(sheet, answers)
            top = _document(top_html, page.width())
            p.save()
            top.drawContents(p, QRectF(0, 0, page.width(), page.height()))
            p.restore()
            y = top.size().height() + 6
            y += _draw_figure(p, sheet, QRectF(0, y, page.width(), page.height() - y))
            # the rest starts below the figure: a top margin of that height on a document laid out in
            # pages of the page's height, so that no line is cut in two at a page's foot
            rest = _document(below_html, page.width())
            frame = rest.rootFrame().frameFormat()
            frame.setTopMargin(y)
            rest.rootFrame().setFrameFormat(frame)
            rest.setPageSize(QSizeF(page.width(), page.height()))
            for k in range(rest.pageCount()):
                if k:
                    writer.newPage()
                    pages += 1
                p.save()
                p.translate(0, -k * page.height())
                rest.drawContents(
                    p, QRectF(0, k * page.height() + (y if k == 0 else 0), page.width(), page.height())
                )
                p.restore()
    finally:
        p.end()
    return pages


class WorksheetDialog(QDialog):
    """Export Worksheet: optional student ids (a variant each)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("worksheetDialog")
        self.setWindowTitle("Export Worksheet")
        self.ids = QPlainTextEdit()
        self.ids.setObjectName("worksheetStudents")
        self.ids.setPlaceholderText("one student id per line (leave empty for one sheet)")
        note = QLabel(
            "The current step as a problem sheet and, beside it, its answer key. With student ids, "
            "each student gets a variant with weights drawn from a seed made from the id."
        )
        note.setWordWrap(True)
        buttons = ok_cancel(self)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(QLabel("Student ids:"))
        layout.addWidget(self.ids)
        layout.addWidget(buttons)

    def students(self) -> list[str]:
        """The ids typed, stripped, empty lines and repeats left out (first kept)."""
        seen: dict[str, None] = {}
        for line in self.ids.toPlainText().splitlines():
            if line.strip():
                seen.setdefault(line.strip()[:80], None)
        return list(seen)[:2_000]
