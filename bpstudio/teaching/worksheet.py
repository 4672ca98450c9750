"""Worksheets (issue 16.1): an exercise as a problem sheet to print, and its answer key, as LaTeX
source (:func:`latex_document`) and as the pieces the window's PDF writer lays out without TeX
(:func:`html_body`, :func:`figure_layout`).

A sheet has the exercise's title, the facts of its step (the sample, the loss, the optimiser, the
notation), the network as a figure (TikZ in LaTeX: the neurons in their layers, every connection
with its weight when there are few enough to read, every bias beside its neuron) and the table of its
weights and biases, and the asked quantities as numbered blanks. The answer key has each quantity's
line filled in: formula, numbers substituted, value.

**Per-student variants**: with a list of student ids, each student's sheet draws its weights from a
seed made from the id (:func:`seed_for`: the first four bytes of SHA-256 of the id, modulo 10⁶), with
the project's initialiser, rounded to the exercise's weight decimals; so a student's sheet and key
can be made again from the id alone. Without ids, the exercise's own network is used.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass

from ..engine import Network, learning_rule
from ..formats import Project
from . import latex
from .exercise import Exercise
from .expr import Renderer
from .labels import Names
from .model import Line
from .numbers import format_plain

#: a figure shows each connection's weight when the network has at most this many connections
LABELLED_EDGES = 24


@dataclass(frozen=True)
class Sheet:
    """One student's (or the class's) sheet: the exercise variant and its asked lines."""

    exercise: Exercise
    student: str | None
    questions: tuple[Line, ...]


def exercise_of(project: Project, samples: list[int] | None = None) -> Exercise:
    """A project as the exercise its worksheet asks: one step on ``samples`` (default the first
    training sample), every quantity, up to the update (only the forward pass for step units)."""

    trainable = learning_rule(project.network) is not None
    return Exercise(
        project=project,
        title=project.name or "Backpropagation by hand",
        samples=list(samples or [0]),
        stop_after="update" if trainable else "forward",
    )


def seed_for(student: str) -> int:
    """The seed of a student's variant: SHA-256 of the id (stripped), first 4 bytes, modulo 10⁶."""
    digest = hashlib.sha256(student.strip().encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 1_000_000


def variant_for(exercise: Exercise, student: str | None) -> Exercise:
    """The exercise as one student's variant (itself when ``student`` is None)."""
    if student is None:
        return exercise
    other = copy.copy(exercise)
    for cached in ("network", "trace", "walkthrough"):
        other.__dict__.pop(cached, None)
    other.seed = seed_for(student)
    return other


def make_sheets(exercise: Exercise, students: list[str] | None = None) -> list[Sheet]:
    """One sheet per student (ids stripped, empty ones skipped), or one for the exercise itself."""
    ids: list[str | None] = [s.strip() for s in students if s.strip()] if students else [None]
    out = []
    for sid in ids:
        ex = variant_for(exercise, sid)
        out.append(Sheet(ex, sid, tuple(ex.questions())))
    return out


# ---------------------------------------------------------------------------------------------- figure
@dataclass(frozen=True)
class Node:
    layer: int
    index: int
    x: float
    y: float
    label: str  # x₁, a₁⁽²⁾ … in the exercise's notation
    bias: str | None  # "b₁⁽²⁾ = 0.31", or None for an input


@dataclass(frozen=True)
class Edge:
    frm: Node
    to: Node
    label: str | None  # "0.14" when the figure shows weights


def figure_layout(net: Network, names: Names, digits: int = 2) -> tuple[list[Node], list[Edge]]:
    """The network figure in units of a neuron spacing: layer l at x = 2.2·l, its neurons centred on
    y = 0, 1 apart (y grows downwards); removed connections are left out."""
    nodes: list[list[Node]] = []
    for layer, size in enumerate(net.sizes):
        column = []
        for i in range(size):
            y = i - (size - 1) / 2
            bias = None
            if layer > 0 and net.use_bias[layer - 1]:
                value = format_plain(names.bias_sign * float(net.biases[layer - 1][i]), digits)
                bias = f"{names.bias(layer - 1, i)} = {value}"
            column.append(Node(layer, i, 2.2 * layer, y, names.neuron(layer, i), bias))
        nodes.append(column)
    labelled = sum(int(w.size) for w in net.weights) <= LABELLED_EDGES
    edges = []
    for l in range(net.n_layers):
        mask = net.masks[l]
        for j, to in enumerate(nodes[l + 1]):
            for k, frm in enumerate(nodes[l]):
                if mask is not None and not mask[j, k]:
                    continue
                label = format_plain(float(net.weights[l][j, k]), digits) if labelled else None
                edges.append(Edge(frm, to, label))
    return [n for column in nodes for n in column], edges


def figure_tikz(net: Network, names: Names, digits: int = 2) -> str:
    """The network figure as a TikZ picture, at most 16 cm wide and 12 cm tall: a layer of many
    neurons is drawn closer together, its neurons as small unlabelled circles when there is no room
    for their names (and the biases are then left to the table)."""
    nodes, edges = figure_layout(net, names, digits)
    tallest = max(net.sizes)
    y_unit = min(1.4, 12.0 / max(tallest - 1, 1))
    x_unit = min(1.8, 16.0 / max(2.2 * (len(net.sizes) - 1), 1))
    roomy = y_unit >= 1.0
    size = "8mm" if roomy else f"{max(min(0.8 * y_unit, 0.8), 0.12):.2f}cm"
    out = [rf"\begin{{tikzpicture}}[x={x_unit:.3f}cm, y=-{y_unit:.3f}cm, every node/.style={{font=\small}}]"]
    for n in nodes:
        label = f"${latex.math(n.label)}$" if roomy else ""
        out.append(
            rf"\node[draw, circle, minimum size={size}, inner sep=0pt] (n{n.layer}x{n.index}) "
            rf"at ({n.x:.3f}, {n.y:.3f}) {{{label}}};"
        )
        if n.bias and roomy:
            out.append(
                rf"\node[font=\scriptsize, below=0mm of n{n.layer}x{n.index}] {{${latex.math(n.bias)}$}};"
            )
    arrow = "->" if roomy else "-"
    for e in edges:
        a, b = f"n{e.frm.layer}x{e.frm.index}", f"n{e.to.layer}x{e.to.index}"
        if e.label is None or not roomy:
            out.append(rf"\draw[{arrow}, very thin] ({a}) -- ({b});")
        else:
            out.append(
                rf"\draw[->] ({a}) -- node[pos=0.3, fill=white, inner sep=1pt, font=\scriptsize] "
                rf"{{${latex.math(e.label)}$}} ({b});"
            )
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- LaTeX
def _weights_rows(net: Network, names: Names, digits: int) -> list[list[str]]:
    rows = []
    for l in range(net.n_layers):
        mask = net.masks[l]
        for j in range(net.sizes[l + 1]):
            cells = [
                f"{names.weight(l, j, k)} = {format_plain(float(net.weights[l][j, k]), digits)}"
                for k in range(net.sizes[l])
                if mask is None or mask[j, k]
            ]
            if net.use_bias[l]:
                bias = names.bias_sign * float(net.biases[l][j])  # W₀ = −b on an input of −1
                cells.append(f"{names.bias(l, j)} = {format_plain(bias, digits)}")
            rows.append(cells)
    return rows


def latex_sheet(sheet: Sheet, answers: bool) -> str:
    """One sheet as LaTeX body text (a section, the facts, the figure, the weights, the questions)."""
    ex = sheet.exercise
    names = ex.notation.names_for(ex.project.network.sizes)
    net = ex.network
    digits = max(ex.weight_decimals, 2)
    r = Renderer(ex.notation.digits)
    title = ex.title or "Backpropagation by hand"
    who = f" --- {latex.text(sheet.student)}" if sheet.student else ""
    kind = "Answer key" if answers else "Problem sheet"
    out = [rf"\section*{{{latex.text(title)}{who}}}", rf"\textit{{{kind}}}\par\medskip"]
    if ex.instructions:
        out.append(latex.text(ex.instructions) + r"\par\medskip")
    out.append(r"\begin{itemize}\itemsep0pt")
    out += [rf"\item {latex.text(fact)}" for fact in ex.walkthrough.header]
    out.append(r"\end{itemize}")
    out.append(r"\begin{center}" + "\n" + figure_tikz(net, names, digits) + "\n" + r"\end{center}")
    rows = _weights_rows(net, names, digits)
    width = max(len(row) for row in rows)
    out.append(r"\begin{center}\begin{tabular}{" + "l" * width + "}")
    for row in rows:
        cells = [f"${latex.math(c)}$" for c in row] + [""] * (width - len(row))
        out.append(" & ".join(cells) + r" \\")
    out.append(r"\end{tabular}\end{center}")
    out.append(r"\begin{enumerate}")
    for q in sheet.questions:
        label = latex.math(ex.walkthrough.label(q, r))
        if answers:
            out.append(rf"\item $\displaystyle {latex.math(q.render(r))}$")
        else:
            out.append(rf"\item ${label} = $ \underline{{\hspace{{4cm}}}}")
    out.append(r"\end{enumerate}")
    return "\n".join(out)


def latex_document(sheets: list[Sheet], answers: bool = False) -> str:
    """A LaTeX document (article, amsmath, TikZ) with the sheets, each on its own pages."""
    head = [
        r"\documentclass[11pt,a4paper]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage{tikz}",
        r"\usetikzlibrary{positioning}",
        r"\setlength{\parindent}{0pt}",
        r"\allowdisplaybreaks",
        r"\sloppy",
        r"\begin{document}",
    ]
    body = []
    for i, sheet in enumerate(sheets):
        if i:
            body.append(r"\clearpage")
        body.append(latex_sheet(sheet, answers))
    return "\n".join(head + body + [r"\end{document}", ""])


# ---------------------------------------------------------------------------------------------- HTML
def html_body(sheet: Sheet, answers: bool) -> tuple[str, str]:
    """(the text above the figure, the text below it) of one sheet as HTML for Qt's rich text: the
    title and facts, then the weights and the questions (or the answers)."""
    import html

    ex = sheet.exercise
    names = ex.notation.names_for(ex.project.network.sizes)
    r = Renderer(ex.notation.digits)
    digits = max(ex.weight_decimals, 2)
    title = html.escape(ex.title or "Backpropagation by hand")
    who = f" — {html.escape(sheet.student)}" if sheet.student else ""
    kind = "Answer key" if answers else "Problem sheet"
    top = [f"<h2>{title}{who}</h2>", f"<p><i>{kind}</i></p>"]
    if ex.instructions:
        top.append(f"<p>{html.escape(ex.instructions)}</p>")
    top.append("<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in ex.walkthrough.header) + "</ul>")
    below = ['<table cellpadding="3">']
    for row in _weights_rows(ex.network, names, digits):
        below.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
    below.append("</table><ol>")
    for q in sheet.questions:
        if answers:
            below.append(f"<li>{html.escape(q.render(r))}</li>")
        else:
            label = html.escape(ex.walkthrough.label(q, r))
            below.append(f"<li>{label} = ____________________</li>")
    below.append("</ol>")
    return "".join(top), "".join(below)
