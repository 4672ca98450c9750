"""Error messages stay short and never echo a file (issue 13.13).

A dataset path that points at someone's secrets file, a header of 129,000 characters, a key of a
megabyte in a project: every loader's message names the file, row and column, quotes at most a short,
escaped excerpt of the contents, and stays under MAX_MESSAGE (300) characters.
"""

from __future__ import annotations

import gzip
import io
import json
import re

import numpy as np
import pytest

from bpstudio.data import DataError, load_dataset
from bpstudio.engine import EngineError
from bpstudio.engine.errors import MAX_EXCERPT, MAX_MESSAGE, brief, excerpt
from bpstudio.formats import FormatError, load_project, load_weights
from bpstudio.teaching.exercise import load_exercise
from bpstudio.teaching.parse import ParseError, parse_expression
from bpstudio.teaching.results import load_answers

SECRET = "sk-live-" + "".join(chr(ord("a") + (i * 7) % 26) for i in range(200_000))


def leaked(message: str) -> int:
    """The longest run of the secret's characters (after its prefix) the message quotes."""
    runs = re.findall(r"[a-z]{6,}", message)
    return max((len(r) for r in runs if r in SECRET), default=0)


def check(message: str) -> None:
    assert len(message) <= MAX_MESSAGE, (len(message), message[:400])
    assert leaked(message) <= MAX_EXCERPT, message
    assert "\n" not in message and "\x00" not in message


def test_the_helpers():
    assert excerpt("short") == "'short'"
    long = excerpt("x" * 1000)
    assert len(long) == MAX_EXCERPT and long.endswith("…") and long.startswith("'")
    assert excerpt("a\nb\x00c") == "'a\\nb\\x00c'"  # escaped: one line, no control characters
    msg = "data.csv: row 3, column 2: " + "y" * 5000 + ": not a number"
    short = brief(msg)
    assert (
        len(short) == MAX_MESSAGE and short.startswith("data.csv: row 3") and short.endswith("not a number")
    )
    assert brief("fine") == "fine"
    assert len(str(EngineError("z" * 10_000))) == MAX_MESSAGE  # every error of ours is capped


def refused(spec) -> str | None:
    """The message of the DataError loading ``spec`` gives (checked), or None if it loads."""
    try:
        load_dataset(spec)
    except DataError as exc:
        check(str(exc))
        return str(exc)
    return None


LINE = SECRET[:129_000]
CSV_CASES = {
    "secrets": f"{LINE}\n{LINE[3:]}\n",
    "header": f"x,{LINE}\n1,2\n3,4\n",
    "row": f"x,y\n1,{LINE}\n2,3\n",
    "fields": "x,y\n" + ",".join([SECRET[:40]] * 3000) + "\n",
    "classes": "x,y\n" + "".join(f"{i},{SECRET[i : i + 60]}\n" for i in range(1500)),
}


@pytest.mark.parametrize("name", list(CSV_CASES))
def test_csv_messages_are_short(tmp_path, name):
    path = tmp_path / "data.csv"
    path.write_text(CSV_CASES[name], encoding="utf-8")
    messages = [
        refused(spec)
        for spec in (
            {"file": str(path)},
            {"file": str(path), "target": SECRET[:5000]},
            {"file": str(path), "target": 1, "onehot": True},
            {"file": str(path), "header": False},
        )
    ]
    assert any(messages)  # (each file is refused one way or another)


def test_a_gz_secrets_file_and_a_column_name_of_secrets(tmp_path):
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(f"a,{SECRET[:70_000]}\nb,c\n".encode()))
    assert refused({"file": str(path), "inputs": [SECRET[:300]]})
    refused({"file": str(path)})


def test_npz_with_keys_of_secrets(tmp_path):
    path = tmp_path / "data.npz"
    buf = io.BytesIO()
    np.savez(buf, **{SECRET[i * 50 : i * 50 + 200]: np.zeros(3) for i in range(8)})
    path.write_bytes(buf.getvalue())
    assert refused({"file": str(path)}) and refused({"file": str(path), "inputs_key": SECRET[:400]})


def test_a_very_long_path_keeps_the_message_short(tmp_path):
    deep = tmp_path
    for i in range(12):
        deep = deep / (SECRET[i * 10 : i * 10 + 150])
    deep.mkdir(parents=True)
    path = deep / "data.csv"
    path.write_text("x,y,z\n1,oops,1\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset({"file": str(path)})
    message = str(info.value)
    assert len(message) <= MAX_MESSAGE and message.endswith("not a number ('oops')")


@pytest.mark.parametrize("loader", [load_project, load_weights, load_exercise, load_answers])
def test_json_documents_with_secrets_in_keys_and_values(tmp_path, loader):
    docs = [
        {"format": SECRET[:100_000]},
        {SECRET[:50_000]: 1, "format": "bpstudio-project"},
        {"format": "bpstudio-project", "version": 3, "network": {"sizes": [SECRET[:80_000]]}},
        {"format": "bpstudio-weights", "version": 1, SECRET[:1000]: [SECRET[:1000]] * 50},
    ]
    for i, doc in enumerate(docs):
        path = tmp_path / f"doc{i}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        with pytest.raises(FormatError) as info:
            loader(path)
        check(str(info.value))
        check(info.value.problem)
    path = tmp_path / "text.json"
    path.write_text(SECRET[:100_000], encoding="utf-8")  # not JSON at all: a secrets file
    with pytest.raises(FormatError) as info:
        loader(path)
    check(str(info.value))


def test_a_dataset_path_in_a_project_pointing_at_a_secrets_file(tmp_path):
    from bpstudio.workspace import load_example, trainer_for

    secrets = tmp_path / "credentials"
    secrets.write_text(f"token={SECRET[:2000]}\npassword={SECRET[5:3000]}\n", encoding="utf-8")
    project = load_example("xor")
    project.dataset = {"file": str(secrets)}
    with pytest.raises(DataError) as info:
        trainer_for(project)
    check(str(info.value))


@pytest.mark.parametrize(
    "text",
    ["1" * 5000 + "+", "(" + SECRET[:3000], "2 * " + SECRET[:10_000], "√" * 400 + "x", "1e" + "9" * 4000],
)
def test_a_students_long_answer_gets_a_short_reason(text):
    with pytest.raises(ParseError) as info:
        parse_expression(text)
    check(str(info.value))


def test_a_member_name_with_a_newline_is_quoted_on_one_line():
    """A mutated key (a newline, a control character) is escaped where a message names its field."""
    from bpstudio.formats import FormatError, project_from_dict, project_to_dict
    from bpstudio.workspace import load_example

    doc = project_to_dict(load_example("xor"))
    doc["dataset"]["bad\nkey\x18"] = 1
    with pytest.raises(FormatError) as info:
        project_from_dict(doc)
    message = str(info.value)
    assert "\n" not in message and "\x18" not in message
    assert 'dataset["bad\\x0akey\\x18"]' in message
