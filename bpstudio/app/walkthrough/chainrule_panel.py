"""The Chain Rule panel (issue 15.1): select a weight, a bias or a neuron on the canvas and see ∂E/∂θ
as the sum, over every path from it to the loss, of the product of the local derivatives on the path,
each factor with its number; the paths are marked on the canvas (``Session.highlight``) while the
panel is in front.

The numbers come from :func:`bpstudio.teaching.chainrule.chain_rule` for one training sample (the
current step's first sample, or the one chosen in the panel) and are checked against
backpropagation's own ∂Eₓ/∂θ for that sample. Hidden in an exercise, where they would give the
answers away.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QTextBrowser, QVBoxLayout, QWidget

from ...engine import EngineError, Network
from ...engine.gradcheck import analytic_gradients
from ...teaching.chainrule import MAX_PATHS, ChainRule, chain_rule, z_name
from ...teaching.labels import fmt
from ..changes import Change
from ..plots.common import ExportButton
from ..session import Selection

if TYPE_CHECKING:
    from ..main_window import MainWindow
    from ..session import Session


class ChainRulePanel(QWidget):
    """The chain rule for the selected parameter (see the module docstring)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chainRulePanel")
        self.session = session
        self.result: ChainRule | None = None
        self.owns_highlight = False
        #: the panel's tab is in front (its dock's visibilityChanged): only then are the paths marked
        self.in_front = False
        self.sample = QSpinBox()
        self.sample.setObjectName("chainRuleSample")
        self.sample.setPrefix("training sample ")
        self.sample.setToolTip(
            "The sample whose ∂Eₓ/∂θ is traced (the current step's first sample by default)"
        )
        self.sample.valueChanged.connect(lambda _v: self.refresh())
        top = QHBoxLayout()
        top.addWidget(QLabel("For"))
        top.addWidget(self.sample)
        top.addStretch(1)
        self.export_button = ExportButton(
            self, None, self.csv_data, "chain-rule", painter=lambda: (self._page_size(), self._paint)
        )
        self.export_button.setObjectName("chainRuleExport")
        self.export_button.setToolTip(
            "Save the chain rule as an image (PNG, SVG) or its paths and factors as CSV"
        )
        top.addWidget(self.export_button)
        self.view = QTextBrowser()
        self.view.setObjectName("chainRuleText")
        self.view.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        session.selectionChanged.connect(lambda _s: self.refresh())
        session.changed.connect(self._changed)
        session.viewChanged.connect(lambda _k: self.refresh())
        self._follow_trace()

    # ------------------------------------------------------------------ following the session
    def _changed(self, change: Change) -> None:
        if change & (Change.TRACE | Change.PROJECT | Change.DATASET | Change.STRUCTURE):
            self._follow_trace()
        elif not self.in_front and not change & Change.LOCKED:
            return  # new numbers (a run's snapshots): recomputed when the tab comes to the front
        else:
            self.refresh()

    def _follow_trace(self) -> None:
        """The sample range from the training data; the current step's first sample chosen."""
        tr = self.session.trainer
        n = 0 if tr is None else int(tr.X.shape[0])
        trace = self.session.trace
        first = trace.sample_indices[0] if trace is not None and len(trace.sample_indices) else None
        self.sample.blockSignals(True)
        self.sample.setRange(1, max(n, 1))
        if first is not None and first < n:
            self.sample.setValue(int(first) + 1)
        self.sample.setEnabled(n > 0)
        self.sample.blockSignals(False)
        self.refresh()

    def target(self) -> tuple[str, int, int, int | None] | None:
        """(kind, layer, index, frm) of the selection for :func:`chain_rule`, or None."""
        sel: Selection = self.session.selection
        if sel.kind == "edge":
            return ("weight", sel.layer, sel.index, sel.frm)
        if sel.kind == "bias":
            return ("bias", sel.layer, sel.index, None)
        if sel.kind == "neuron" and sel.layer >= 1:
            return ("neuron", sel.layer, sel.index, None)
        return None

    # ------------------------------------------------------------------ the text
    def refresh(self) -> None:
        self.result = None
        s = self.session
        if s.locked:
            self._say("The chain rule is hidden during an exercise: it would give the answers away.")
            return
        target = self.target()
        if target is None:
            self._say(
                "Select a weight, a bias or a neuron (not an input) on the canvas to see ∂E/∂θ as the sum, "
                "over every path from it to the loss, of the products of the local derivatives on the path."
            )
            return
        tr = s.trainer
        if tr is None:
            self._say(f"No training data to trace: {html.escape(s.trainer_problem or 'no dataset')}")
            return
        i = self.sample.value() - 1
        kind, layer, index, frm = target
        net, before = self._network()
        try:
            cr = chain_rule(net, tr.config, tr.X[i], tr.T[i], kind, layer, index, frm, s.names)
        except (EngineError, IndexError) as exc:
            self._say(html.escape(str(exc)))
            return
        self.result = cr
        self.view.setHtml(self._html(cr, i, self._backprop(net, cr, i), before))
        self._highlight()

    def _network(self) -> tuple[Network, bool]:
        """The weights the current step used (as the δ/Δw table shows it), else the network as it is;
        and whether they are the step's."""
        net = self.session.network
        trace = self.session.trace
        if trace is None or len(trace.updates) != net.n_layers:
            return net, False
        if any(up.W_before.shape != w.shape for up, w in zip(trace.updates, net.weights)):
            return net, False
        used = net.copy()
        used.weights = [up.W_before.copy() for up in trace.updates]
        used.biases = [up.b_before.copy() for up in trace.updates]
        return used, True

    def _backprop(self, net: Network, cr: ChainRule, i: int) -> float | None:
        """Backpropagation's ∂Eₓ/∂θ for sample i (a weight or bias), to check the sum against."""
        if cr.kind == "neuron":
            return None
        tr = self.session.trainer
        assert tr is not None
        try:
            grads = analytic_gradients(net, tr.config, tr.X[i : i + 1], tr.T[i : i + 1])
        except EngineError:  # e.g. a step unit: backpropagation refuses, the paths still show why
            return None
        if cr.kind == "bias":
            return float(grads[2 * cr.layer + 1][cr.index])
        assert cr.frm is not None
        return float(grads[2 * cr.layer][cr.index, cr.frm])

    def _html(self, cr: ChainRule, sample: int, backprop: float | None, before: bool) -> str:
        names = self.session.names
        prec = int(self.session.view_option("precision", 3))
        e = html.escape
        of = f"∂E/∂{e(cr.name)}" if cr.kind != "neuron" else f"δ = ∂E/∂{e(cr.name)}"
        out = [f"<h3>{of} on training sample {sample + 1}</h3>"]
        out.append(
            "<p>The chain rule: the sum, over every path from the "
            f"{'neuron' if cr.kind == 'neuron' else cr.kind} to the loss E, of the product of the local "
            "derivatives along the path; with the weights "
            + ("before the last step's update (as in the δ/Δw table)" if before else "as they are now")
            + ".</p>"
        )
        out.append('<table cellspacing="0" cellpadding="4" border="1" style="border-collapse: collapse">')
        out.append("<tr><th>#</th><th>path</th><th>factors</th><th>product</th></tr>")
        for n, path in enumerate(cr.paths, 1):
            hops = [z_name(names, layer, idx) for layer, idx in path.neurons]
            if len(path.neurons) > 1 and path.neurons[-1][0] == path.neurons[-2][0]:
                hops[-1] = names.neuron(*path.neurons[-1])  # a softmax branch ends at an output a_q
            parts = ([cr.name] if cr.kind != "neuron" else []) + hops + ["E"]
            route = " → ".join(e(p) for p in parts)
            symbols = " · ".join(e(f.symbol) for f in path.factors)
            numbers = " × ".join(_paren(fmt(f.value, prec)) for f in path.factors)
            out.append(
                f"<tr><td>{n}</td><td>{route}</td><td>{symbols}<br>= {numbers}</td>"
                f"<td align='right'>{e(fmt(path.product, prec))}</td></tr>"
            )
        out.append("</table>")
        shown = len(cr.paths)
        more = "" if shown == cr.n_paths else f" (the first {shown} are listed; at most {MAX_PATHS})"
        plural = "s" if cr.n_paths != 1 else ""
        total = f"<p><b>Sum over the {cr.n_paths} path{plural}{more}: {e(fmt(cr.total, prec))}</b>"
        if cr.regularisation:
            total += (
                f" + regularisation {e(fmt(cr.regularisation, prec))} = <b>{e(fmt(cr.gradient, prec))}</b>"
            )
        total += f" = {of}.</p>"
        out.append(total)
        if self.session.notation in ("error_signal", "beta"):  # the course writes Δ = −δ and −∂E/∂w
            value = e(fmt(-cr.gradient, prec))
            if cr.kind == "neuron":
                out.append(
                    f"<p>In the error-signal notation: Δ = −δ = {value} (as the δ/Δw table shows it).</p>"
                )
            else:
                out.append(
                    f"<p>In the error-signal notation the δ/Δw table shows −∂E/∂{e(cr.name)} = {value}.</p>"
                )
        if backprop is not None:
            same = abs(backprop - cr.gradient) <= 1e-9 * max(abs(backprop), abs(cr.gradient), 1e-12)
            verdict = "the same" if same else "a different value (please report this)"
            out.append(
                f"<p>Backpropagation gives {e(fmt(backprop, prec))} for this sample: {verdict}. "
                "Over a batch, the δ/Δw table's ∂E/∂θ is s·Σₓ of these per-sample values.</p>"
            )
        return "".join(out)

    def _say(self, text: str) -> None:
        self.view.setHtml(f"<p>{text}</p>")
        self._highlight()

    # ------------------------------------------------------------------ export
    def _page_size(self) -> QSize:
        doc = self.view.document().clone()
        doc.setTextWidth(max(self.view.viewport().width(), 480))
        return QSize(math.ceil(doc.idealWidth()) + 16, math.ceil(doc.size().height()) + 16)

    def _paint(self, p: QPainter, width: int, height: int) -> None:
        """The panel's text on white, as a picture."""
        doc = self.view.document().clone()
        doc.setTextWidth(width - 16)
        p.fillRect(QRectF(0, 0, width, height), QColor("white"))
        p.translate(8, 8)
        doc.drawContents(p)

    def csv_data(self) -> tuple[list[str], list[np.ndarray]]:
        """One row per listed path: its number, the neurons it passes, each factor's symbol and value,
        and its product; then a row with the sum (and the regularisation term, if any)."""
        header = ["path", "route", "factors", "factor_values", "product"]
        cr = self.result
        if cr is None:
            return header, [np.zeros(0)] * 5
        names = self.session.names
        rows: list[list[object]] = []
        for n, path in enumerate(cr.paths, 1):
            route = " > ".join(z_name(names, layer, idx) for layer, idx in path.neurons)
            rows.append(
                [
                    n,
                    route,
                    " * ".join(f.symbol for f in path.factors),
                    " * ".join(repr(f.value) for f in path.factors),
                    path.product,
                ]
            )
        rows.append(["sum", f"{cr.n_paths} paths", "", "", cr.total])
        if cr.regularisation:
            rows.append(["regularisation", "", "", "", cr.regularisation])
            rows.append(["gradient", "", "", "", cr.gradient])
        columns = [np.array([r[i] for r in rows], dtype=object) for i in range(4)]
        columns.append(np.array([r[4] for r in rows], dtype=np.float64))
        return header, columns

    # ------------------------------------------------------------------ the canvas
    def _highlight(self) -> None:
        """Mark the listed paths on the canvas while the panel is in front."""
        if not self.in_front:
            return
        marks: list[Selection] = []
        cr = self.result
        if cr is not None:
            seen = set()
            for path in cr.paths:
                for (l1, i1), (l2, i2) in zip(path.neurons, path.neurons[1:]):
                    if l2 == l1 + 1 and (l1, i2, i1) not in seen:
                        seen.add((l1, i2, i1))
                        marks.append(Selection("edge", l1, i2, i1))
                last = path.neurons[-1]
                if ("n", *last) not in seen:
                    seen.add(("n", *last))
                    marks.append(Selection("neuron", last[0], last[1]))
        self.session.highlight(tuple(marks))
        self.owns_highlight = True

    def set_in_front(self, in_front: bool) -> None:
        """The dock's tab came to the front (mark the paths) or went behind another (clear the marks;
        the walkthrough marks its own lines when it is in front)."""
        self.in_front = in_front
        if in_front:
            self.refresh()
        elif self.owns_highlight:
            self.owns_highlight = False
            self.session.highlight(())


def _paren(text: str) -> str:
    return f"({text})" if text.startswith(("−", "-")) else text


def install(window: MainWindow) -> ChainRulePanel:
    """The Chain Rule dock, as a tab beside the δ/Δw table and the walkthrough."""
    panel = ChainRulePanel(window.session)
    dock = window.add_dock(panel, "Chain Rule", Qt.DockWidgetArea.BottomDockWidgetArea, "chainRuleDock")
    window.tabifyDockWidget(window.training.docks["table"], dock)
    window.training.docks["table"].raise_()
    dock.visibilityChanged.connect(panel.set_in_front)
    return panel
