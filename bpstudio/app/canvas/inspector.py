"""The inspector: the values of the selected neuron, weight, bias or layer, in the chosen notation.

Numbers come from the network and from the session's current trace (or the forward pass of the first
training sample); nothing is computed here. δ and ∂E/∂w are shown in the session's notation.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from ...engine import ACTIVATIONS
from ...teaching.labels import DEFAULTS, fmt, layer_title
from ...teaching.presenter import TracePresenter
from ..changes import Change
from ..session import Selection, Session

MAX_SAMPLES_SHOWN = 8


class Inspector(QWidget):
    """Shows the selection's values; refreshes on selection, value, trace and view changes."""

    def __init__(self, session: Session, actions: list[QAction] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.session = session
        self.label = QLabel()
        self.label.setObjectName("inspectorText")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMargin(6)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.label)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        buttons = QHBoxLayout()
        for act in actions or []:
            b = QToolButton()
            b.setDefaultAction(act)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(scroll, 1)
        lay.addLayout(buttons)
        session.changed.connect(self._changed)
        session.selectionChanged.connect(self.refresh)
        session.viewChanged.connect(self.refresh)
        self.refresh()

    def _changed(self, change: Change) -> None:
        if change & (Change.SHAPE | Change.NUMBERS):
            self.refresh()

    def opt(self, key: str):
        return self.session.view_option(key, DEFAULTS[key])

    def text(self) -> str:
        """The shown text without markup (for tests and copying)."""
        doc = self.label.text()
        import re

        return html.unescape(re.sub(r"<[^>]+>", " ", doc))

    # ------------------------------------------------------------------ content
    def refresh(self, *_args) -> None:
        sel = self.session.selection
        net = self.session.network
        try:
            if (
                sel.kind == "neuron"
                and 0 <= sel.layer < len(net.sizes)
                and 0 <= sel.index < net.sizes[sel.layer]
            ):
                body = self._neuron(sel)
            elif sel.kind == "edge" and 0 <= sel.layer < net.n_layers:
                body = self._edge(sel)
            elif sel.kind == "bias" and 0 <= sel.layer < net.n_layers:
                body = self._bias(sel)
            elif sel.kind == "layer" and 0 <= sel.layer < len(net.sizes):
                body = self._layer(sel.layer)
            else:
                body = self._network()
        except IndexError:  # the selection refers to something an edit just removed
            body = self._network()
        self.label.setText(body)

    def _presenter(self) -> TracePresenter:
        return self.session.presenter()

    @staticmethod
    def _table(rows: list[tuple[str, str]]) -> str:
        cells = "".join(
            f"<tr><td style='padding-right:10px;color:#8a8f98'>{html.escape(k)}</td><td>{v}</td></tr>"
            for k, v in rows
        )
        return f"<table cellspacing='2'>{cells}</table>"

    @staticmethod
    def _samples_header(p: TracePresenter) -> str:
        return f"<p><b>{p.source_label}</b>, {p.samples_text(MAX_SAMPLES_SHOWN)}</p>"

    def _per_sample(self, values: np.ndarray | None, column: int) -> str:
        if values is None:
            return "<i>not computed yet</i>"
        prec = int(self.opt("precision"))
        col = values[:MAX_SAMPLES_SHOWN, column]
        return ", ".join(fmt(v, prec) for v in col)

    def _neuron(self, sel: Selection) -> str:
        net = self.session.network
        l, j = sel.layer, sel.index
        prec = int(self.opt("precision"))
        p = self._presenter()
        name = p.names.neuron(l, j)
        title = (
            f"<h3>{name}</h3><p>neuron {j + 1} of layer {p.names.layer(l)} ({layer_title(l, net.n_layers)}"
        )
        rows: list[tuple[str, str]] = []
        if l > 0:
            act = ACTIVATIONS.get(net.activations[l - 1])
            title += f", {act.label}"
            if net.use_bias[l - 1]:
                bias = p.notation.bias_sign * net.biases[l - 1][j]
                rows.append((f"bias {p.names.bias(l - 1, j)}", fmt(bias, prec)))
            else:
                rows.append(("bias", "none (a layer without biases)"))
            n_in = int(net.sizes[l - 1] if net.masks[l - 1] is None else net.masks[l - 1][j].sum())
            rows.append(("inputs", f"{n_in} connection{'s' if n_in != 1 else ''}"))
        title += ")</p>"
        rec = p.layer(l)
        extra = ""
        if rec is not None and p.trace is not None:
            trace = p.trace
            extra = self._samples_header(p)
            if l == 0:
                rows.append(
                    (f"x{'' if trace.batch_size == 1 else ' per sample'}", self._per_sample(rec.a, j))
                )
            else:
                z, a = p.notation.net, p.notation.act
                rows.append((z, self._per_sample(rec.z, j)))
                rows.append((f"{a} = f({z})", self._per_sample(rec.a, j)))
                rows.append((f"f′({z})", self._per_sample(rec.fprime, j)))
                rows.append(
                    (f"{p.label('delta')} ({p.label('delta_meaning')})", self._per_sample(p.delta(l), j))
                )
        return title + self._table(rows) + extra

    def _edge(self, sel: Selection) -> str:
        net = self.session.network
        l, j, k = sel.layer, sel.index, sel.frm
        prec = int(self.opt("precision"))
        p = self._presenter()
        present_ = net.connection_present(l, j, k)
        title = (
            f"<h3>{p.names.weight(l, j, k)}</h3><p>from {p.names.neuron(l, k)} to "
            f"{p.names.neuron(l + 1, j)}{'' if present_ else ' — <b>removed</b>'}</p>"
        )
        rows = [("w", fmt(net.weights[l][j, k], prec))]
        up = p.update(l)
        if up is not None:
            g = p.grad_W(l)
            rows.append(
                (p.label("grad_w"), fmt(g[j, k], prec) if g is not None else "<i>not computed yet</i>")
            )
            rows.append(
                ("Δw", fmt(up.delta_W[j, k], prec) if up.delta_W is not None else "<i>not applied yet</i>")
            )
            rows.append(("w before the step", fmt(up.W_before[j, k], prec)))
            if up.W_after is not None:
                rows.append(("w after the step", fmt(up.W_after[j, k], prec)))
        return title + self._table(rows)

    def _bias(self, sel: Selection) -> str:
        net = self.session.network
        l, j = sel.layer, sel.index
        prec = int(self.opt("precision"))
        p = self._presenter()
        title = f"<h3>{p.names.bias(l, j)}</h3><p>bias of {p.names.neuron(l + 1, j)}</p>"
        bs = p.notation.bias_sign  # W₀ = −b when the bias is a weight on −1
        rows = [(p.label("change_b")[1:], fmt(bs * net.biases[l][j], prec))]
        if bs < 0:
            rows.append(("", "a weight on the constant input x₀ = −1: W₀ = −b"))
        up = p.update(l)
        if up is not None:
            g = p.grad_b(l)
            rows.append((p.label("grad_b"), fmt(g[j], prec) if g is not None else "<i>not computed yet</i>"))
            d = up.delta_b
            rows.append(
                (p.label("change_b"), fmt(bs * d[j], prec) if d is not None else "<i>not applied yet</i>")
            )
        return title + self._table(rows)

    def _layer(self, l: int) -> str:
        net = self.session.network
        rows = [("neurons", str(net.sizes[l]))]
        if l > 0:
            act = ACTIVATIONS.get(net.activations[l - 1])
            rows += [
                ("activation", act.label),
                ("", html.escape(act.formula)),
                ("", html.escape(act.derivative)),
            ]
            rows.append(("incoming weights", f"{net.sizes[l - 1]} × {net.sizes[l]}"))
            rows.append(("biases", "yes" if net.use_bias[l - 1] else "none: z = W·a"))
        return f"<h3>Layer {self.session.names.layer(l)}: {layer_title(l, net.n_layers)}</h3>" + self._table(
            rows
        )

    def _network(self) -> str:
        net = self.session.network
        rows = [
            ("layers", " – ".join(map(str, net.sizes))),
            ("weights and biases", f"{net.n_parameters():,}"),
            ("connections", f"{net.n_connections():,}"),
        ]
        hint = "<p style='color:#8a8f98'>Click a neuron, a connection or a layer title to inspect it.</p>"
        name = html.escape(self.session.project.name or "Network")
        return f"<h3>{name}</h3>" + self._table(rows) + hint
