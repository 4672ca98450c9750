"""An exercise as a quiz for a course's learning-management system (issue 16.2): Moodle XML or QTI 2.1.

Each **variant** is the exercise with weights drawn from its own seed (variant 1 is the exercise as
it is; variant i > 1 draws the weights with the project's initialiser from seed s + i − 1, where s is
the exercise's seed or 0, rounded to its weight decimals). A variant becomes one question: the givens
(the network's weights and biases, the sample, the loss, the optimiser and the notation, as the
exercise's walkthrough states them) and one numerical blank per asked quantity, each with the
exercise's tolerance: an answer is right within max(relative·|value|, absolute) of the value.

* **Moodle XML**: a question category named after the exercise holding the variants, each a Cloze
  ("Embedded answers") question whose blanks are ``{1:NUMERICAL:=value:tolerance}``; in a quiz, "Add
  a random question" from that category gives every student one variant, all its blanks from the same
  network. (Moodle's Cloze syntax takes an absolute tolerance: it is worked out per blank.)
* **QTI 2.1**: an IMS content package (a zip): ``imsmanifest.xml`` and one ``assessmentItem`` per
  variant, each blank a ``textEntryInteraction`` with a float ``responseDeclaration`` and response
  processing that scores it when ``equal`` with ``toleranceMode="absolute"`` holds.
"""

from __future__ import annotations

import copy
import html
import io
import math
import re
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from ..engine import EngineError
from .exercise import Exercise
from .numbers import format_plain
from .results import answer_key_rows

FORMATS = ("moodle-xml", "qti")
#: at most this many variants in one export
MAX_VARIANTS = 200
QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"


@dataclass(frozen=True)
class Blank:
    """One asked quantity of a variant: its name, value and absolute tolerance."""

    label: str
    value: float
    tolerance: float


@dataclass(frozen=True)
class Variant:
    number: int
    givens_html: str
    blanks: tuple[Blank, ...]


def variant_exercise(exercise: Exercise, number: int) -> Exercise:
    """Variant ``number`` (1-based) of the exercise: itself for 1, else weights from another seed."""
    if number == 1:
        return exercise
    other = copy.copy(exercise)
    other.__dict__.pop("network", None)  # cached properties of the copy are computed afresh
    other.__dict__.pop("trace", None)
    other.__dict__.pop("walkthrough", None)
    other.seed = int(exercise.seed or 0) + number - 1
    return other


def make_variants(exercise: Exercise, n: int) -> list[Variant]:
    """The first ``n`` variants (see the module docstring)."""
    if not 1 <= n <= MAX_VARIANTS:
        raise EngineError(f"variants: choose 1 to {MAX_VARIANTS}")
    tol = exercise.tolerance
    out = []
    for i in range(1, n + 1):
        ex = variant_exercise(exercise, i)
        blanks = tuple(
            Blank(q, value, tolerance_of(value, tol.relative, tol.absolute))
            for q, value in ((row["quantity"], float(row["value_exact"])) for row in answer_key_rows(ex))
        )
        out.append(Variant(i, _givens(ex), blanks))
    return out


def _givens(ex: Exercise) -> str:
    """What the student is given, as HTML: the instructions, the walkthrough's facts (sample, loss,
    optimiser, notation) and every weight and bias of the network."""
    names = ex.notation.names_for(ex.project.network.sizes)
    net = ex.network
    d = ex.notation.digits
    parts = []
    if ex.instructions:
        parts.append(f"<p>{html.escape(ex.instructions)}</p>")
    parts.append("<ul>" + "".join(f"<li>{html.escape(h)}</li>" for h in ex.walkthrough.header) + "</ul>")
    parts.append(
        f"<p>Network {'-'.join(map(str, net.sizes))} ({html.escape(', '.join(net.activations))}):</p>"
    )
    rows = []
    for l in range(net.n_layers):
        mask = net.masks[l]
        for j in range(net.sizes[l + 1]):
            cells = []
            for k in range(net.sizes[l]):
                if mask is not None and not mask[j, k]:
                    continue
                cells.append(f"{names.weight(l, j, k)} = {format_plain(float(net.weights[l][j, k]), d)}")
            if net.use_bias[l]:
                bias = ex.notation.bias_sign * float(net.biases[l][j])  # W₀ = −b on an input of −1
                cells.append(f"{names.bias(l, j)} = {format_plain(bias, d)}")
            rows.append("<tr><td>" + "</td><td>".join(html.escape(c) for c in cells) + "</td></tr>")
    parts.append('<table border="1" cellpadding="4">' + "".join(rows) + "</table>")
    return "".join(parts)


def _number(x: float) -> str:
    """A number as Moodle and QTI read it (no exponent unless needed, '.' as the decimal point)."""
    if x == 0:
        return "0"
    text = repr(float(x))
    return text if "e" not in text else f"{x:.17g}"


# ---------------------------------------------------------------------------------------------- Moodle
def moodle_xml(exercise: Exercise, variants: int, category: str | None = None) -> str:
    """The Moodle XML quiz file (see the module docstring)."""
    title = exercise.title or "bpstudio exercise"
    cat = category or f"$course$/top/bpstudio/{_category_name(title)}"
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    out.append(
        f'  <question type="category">\n    <category><text>{escape(cat)}</text></category>\n  </question>'
    )
    for v in make_variants(exercise, variants):
        blanks = []
        for i, b in enumerate(v.blanks, start=1):
            blank = f"{{1:NUMERICAL:={_number(b.value)}:{_number(b.tolerance)}}}"
            blanks.append(f"<p>{i}. {html.escape(b.label)} = {blank}</p>")
        text = v.givens_html + "".join(blanks)
        out.append(
            '  <question type="cloze">\n'
            f"    <name><text>{escape(f'{title} (variant {v.number})')}</text></name>\n"
            f'    <questiontext format="html"><text><![CDATA[{_cdata(text)}]]></text></questiontext>\n'
            '    <generalfeedback format="html"><text></text></generalfeedback>\n'
            "    <penalty>0.3333333</penalty>\n"
            "    <hidden>0</hidden>\n"
            f"    <idnumber>bpstudio-{_category_name(title)}-v{v.number}</idnumber>\n"
            "  </question>"
        )
    out.append("</quiz>")
    return "\n".join(out) + "\n"


def _category_name(title: str) -> str:
    """A category (and id) name Moodle keeps as it is: no slashes, short."""
    name = re.sub(r"[/\\]+", "-", title).strip() or "exercise"
    return name[:80]


def _cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


# ---------------------------------------------------------------------------------------------- QTI 2.1
def qti_item(exercise: Exercise, v: Variant) -> str:
    """One variant as a QTI 2.1 assessmentItem."""
    title = f"{exercise.title or 'bpstudio exercise'} (variant {v.number})"
    ident = f"bpstudio-v{v.number}"
    decls, body, rules = [], [], []
    for i, b in enumerate(v.blanks, start=1):
        tol = _number(b.tolerance)
        decls.append(
            f'  <responseDeclaration identifier="RESPONSE{i}" cardinality="single" baseType="float">\n'
            f"    <correctResponse><value>{_number(b.value)}</value></correctResponse>\n"
            "  </responseDeclaration>"
        )
        body.append(
            f"    <p>{i}. {escape(b.label)} = "
            f'<textEntryInteraction responseIdentifier="RESPONSE{i}" expectedLength="12"/></p>'
        )
        rules.append(
            "    <responseCondition>\n      <responseIf>\n"
            f'        <equal toleranceMode="absolute" tolerance="{tol} {tol}">\n'
            f'          <variable identifier="RESPONSE{i}"/>\n'
            f'          <correct identifier="RESPONSE{i}"/>\n'
            "        </equal>\n"
            '        <setOutcomeValue identifier="SCORE">\n'
            '          <sum><variable identifier="SCORE"/><baseValue baseType="float">1</baseValue></sum>\n'
            "        </setOutcomeValue>\n"
            "      </responseIf>\n    </responseCondition>"
        )
    givens = _xhtml(v.givens_html)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<assessmentItem xmlns="{QTI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        f'  xsi:schemaLocation="{QTI_NS} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"\n'
        f'  identifier={quoteattr(ident)} title={quoteattr(title)} adaptive="false" timeDependent="false">\n'
        + "\n".join(decls)
        + '\n  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">\n'
        "    <defaultValue><value>0</value></defaultValue>\n  </outcomeDeclaration>\n"
        f'  <outcomeDeclaration identifier="MAXSCORE" cardinality="single" baseType="float">\n'
        f"    <defaultValue><value>{len(v.blanks)}</value></defaultValue>\n  </outcomeDeclaration>\n"
        "  <itemBody>\n"
        f"    <div>{givens}</div>\n"
        + "\n".join(body)
        + "\n  </itemBody>\n  <responseProcessing>\n"
        + "\n".join(rules)
        + "\n  </responseProcessing>\n</assessmentItem>\n"
    )


def _xhtml(fragment: str) -> str:
    """The givens' HTML as the XHTML QTI's itemBody takes (tables with their own attributes only)."""
    return fragment.replace('<table border="1" cellpadding="4">', "<table>")


def qti_package(exercise: Exercise, variants: int) -> bytes:
    """An IMS content package (zip) with one QTI 2.1 assessmentItem per variant and its manifest."""
    vs = make_variants(exercise, variants)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        resources = []
        for v in vs:
            name = f"variant-{v.number:03d}.xml"
            z.writestr(name, qti_item(exercise, v))
            resources.append(
                f'    <resource identifier="item-{v.number}" type="imsqti_item_xmlv2p1" href="{name}">\n'
                f'      <file href="{name}"/>\n    </resource>'
            )
        manifest = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<manifest xmlns="{CP_NS}" identifier="bpstudio-quiz">\n'
            "  <metadata><schema>IMS Content</schema><schemaversion>1.1.4</schemaversion></metadata>\n"
            "  <organizations/>\n  <resources>\n" + "\n".join(resources) + "\n  </resources>\n</manifest>\n"
        )
        z.writestr("imsmanifest.xml", manifest)
    return buf.getvalue()


def tolerance_of(value: float, relative: float, absolute: float) -> float:
    """max(relative·|value|, absolute): the absolute tolerance a blank gets."""
    return max(relative * abs(value), absolute) if math.isfinite(value) else absolute
