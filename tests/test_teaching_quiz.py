"""An exercise as a quiz (issue 16.2): Moodle XML (Cloze questions in a category, one variant each)
and QTI 2.1 (a content package), checked against what the importers require, with the values and
tolerances of each variant's answer key."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from io import BytesIO

import numpy as np
import pytest

from bpstudio import resources_dir
from bpstudio.cli import main
from bpstudio.teaching.exercise import load_exercise
from bpstudio.teaching.quiz import QTI_NS, make_variants, moodle_xml, qti_package, variant_exercise
from bpstudio.teaching.results import answer_key_rows

XOR = resources_dir() / "exercises" / "xor-backprop-221.bpx.json"
#: Moodle's Cloze syntax of a numerical blank (qtype_multianswer): {weight:NUMERICAL:=answer:tolerance}
CLOZE = re.compile(r"\{(\d*):(?:NUMERICAL|NM):=([^:}]+):([^}~#]+)\}")


@pytest.fixture(scope="module")
def exercise():
    return load_exercise(XOR)


def test_variants_draw_their_own_weights_and_keep_everything_else(exercise):
    v1, v2, v3 = (variant_exercise(exercise, i) for i in (1, 2, 3))
    assert v1 is exercise
    assert not np.array_equal(v2.network.weights[0], v3.network.weights[0])
    assert not np.array_equal(v2.network.weights[0], exercise.network.weights[0])
    assert v2.samples == exercise.samples and v2.ask == exercise.ask and v2.tolerance == exercise.tolerance
    assert np.array_equal(np.round(v2.network.weights[0], 2), v2.network.weights[0])  # as a sheet prints them
    assert exercise.network is variant_exercise(exercise, 1).network  # the exercise itself is untouched


def test_moodle_xml_has_a_category_and_one_cloze_question_per_variant(exercise):
    root = ET.fromstring(moodle_xml(exercise, 4))
    assert root.tag == "quiz"
    questions = root.findall("question")
    assert questions[0].get("type") == "category"
    assert questions[0].find("category/text").text.startswith("$course$/top/bpstudio/")
    cloze = questions[1:]
    assert len(cloze) == 4 and all(q.get("type") == "cloze" for q in cloze)
    for number, q in enumerate(cloze, start=1):
        # what Moodle's importer reads of a Cloze question: a name, the text, the feedback
        assert q.find("name/text").text.endswith(f"(variant {number})")
        assert q.find("questiontext").get("format") == "html"
        assert q.find("generalfeedback") is not None and q.find("hidden").text == "0"
        text = q.find("questiontext/text").text
        blanks = CLOZE.findall(text)
        key = answer_key_rows(variant_exercise(exercise, number))
        assert len(blanks) == len(key) == 28
        tol = exercise.tolerance
        for (weight, answer, tolerance), row in zip(blanks, key):
            value = float(row["value_exact"])
            assert weight == "1" and float(answer) == value
            assert float(tolerance) == pytest.approx(max(tol.relative * abs(value), tol.absolute))
        assert "w₁₁⁽¹⁾ = " in text and "<table" in text and "x = (1, 1)" in text


def test_the_shipped_moodle_example_is_the_export_of_the_shipped_exercise(exercise):
    shipped = (resources_dir() / "quizzes" / "xor-backprop-221.moodle.xml").read_text(encoding="utf-8")
    assert shipped == moodle_xml(exercise, 5)


def test_qti_package_has_a_manifest_and_valid_items(exercise):
    z = zipfile.ZipFile(BytesIO(qti_package(exercise, 3)))
    names = sorted(z.namelist())
    assert names == ["imsmanifest.xml", "variant-001.xml", "variant-002.xml", "variant-003.xml"]
    manifest = ET.fromstring(z.read("imsmanifest.xml"))
    cp = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
    resources = manifest.findall(f"{cp}resources/{cp}resource")
    assert [r.get("type") for r in resources] == ["imsqti_item_xmlv2p1"] * 3
    assert [r.get("href") for r in resources] == names[1:]
    ns = {"q": QTI_NS}
    key = answer_key_rows(variant_exercise(exercise, 2))
    item = ET.fromstring(z.read("variant-002.xml"))
    assert item.tag == f"{{{QTI_NS}}}assessmentItem"
    for attribute in ("identifier", "title", "adaptive", "timeDependent"):  # required by QTI 2.1
        assert item.get(attribute)
    declarations = item.findall("q:responseDeclaration", ns)
    interactions = item.findall(".//q:textEntryInteraction", ns)
    conditions = item.findall("q:responseProcessing/q:responseCondition", ns)
    assert len(declarations) == len(interactions) == len(conditions) == len(key)
    for i, (d, row) in enumerate(zip(declarations, key), start=1):
        assert d.get("identifier") == f"RESPONSE{i}" and d.get("baseType") == "float"
        assert float(d.find("q:correctResponse/q:value", ns).text) == float(row["value_exact"])
    equal = conditions[0].find("q:responseIf/q:equal", ns)
    assert equal.get("toleranceMode") == "absolute" and len(equal.get("tolerance").split()) == 2
    assert item.find("q:outcomeDeclaration[@identifier='MAXSCORE']/q:defaultValue/q:value", ns).text == "28"


def test_export_quiz_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "quiz.xml"
    assert main(["export-quiz", str(XOR), "--variants", "2", "--out", str(out)]) == 0
    assert "wrote 2 variant(s) of 28 question(s) as moodle-xml" in capsys.readouterr().err
    assert len(ET.parse(out).getroot().findall("question")) == 3
    assert main(["export-quiz", str(XOR), "--format", "qti", "--out", str(tmp_path / "q.zip")]) == 0
    assert main(["export-quiz", str(XOR), "--variants", "0", "--out", str(out)]) == 2
    assert "--variants: choose 1 to 200" in capsys.readouterr().err
    assert len(make_variants(load_exercise(XOR), 1)) == 1


def test_exercises_export_quiz_in_the_window(qtbot, monkeypatch, tmp_path):
    from tests.gui_helpers import answer_dialogs, shown_window, when_modal

    answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    try:

        def answer(dialog):
            dialog.format.setCurrentIndex(dialog.format.findData("qti"))
            dialog.variants.setValue(2)
            dialog.accept()

        timer = when_modal("quizDialog", answer)
        assert w.teaching.export_quiz(str(XOR), str(tmp_path / "quiz"))
        timer.stop()
        z = zipfile.ZipFile(tmp_path / "quiz.zip")
        assert "variant-002.xml" in z.namelist()
    finally:
        w.training.shutdown()
