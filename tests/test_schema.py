"""The brief's JSON and the run report are published contracts (issue 15): a JSON Schema for each
in the package, and a `schema` version inside every record. The conftest checks every record the
suite makes against them; here, the schemas themselves, the golden records, and that checking
really happens (and really fails on a record that breaks the contract)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from support import SCHEMA_CHECKS, check_against_schema, inbox_with, runner, translate_args

from summarise.brief import BLOCK_KINDS, BRIEF_SCHEMA
from summarise.cli import app
from summarise.report import REPORT_SCHEMA

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"


@pytest.mark.parametrize("kind", ["brief", "report"])
def test_each_schema_ships_in_the_package_and_is_a_valid_schema(kind: str) -> None:
    schema = json.loads(resources.files("summarise").joinpath(f"{kind}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"]["const"] == {"brief": BRIEF_SCHEMA, "report": REPORT_SCHEMA}[kind]


def test_the_schema_names_every_kind_of_block_the_code_makes() -> None:
    schema = json.loads(resources.files("summarise").joinpath("brief.schema.json").read_text("utf-8"))
    assert schema["$defs"]["block"]["properties"]["kind"]["enum"] == list(BLOCK_KINDS)


def test_the_golden_records_follow_the_schema() -> None:
    records = sorted(GOLDEN.glob("*/*.json"))
    assert len(records) >= 10
    for path in records:
        check_against_schema("brief", json.loads(path.read_text(encoding="utf-8")))


def test_every_record_a_run_makes_is_checked_and_a_broken_one_is_caught(
    tmp_path: Path, copy_marian: Path
) -> None:
    before = dict(SCHEMA_CHECKS)
    inbox = inbox_with(tmp_path, {"a.txt": "Putin traf Kim in Pjöngjang. Sie sprachen zwei Stunden."})
    result = runner.invoke(app, [*translate_args(inbox, tmp_path / "out", copy_marian), "--json"])
    assert result.exit_code == 0, result.output
    assert SCHEMA_CHECKS["brief"] == before["brief"] + 1 and SCHEMA_CHECKS["report"] == before["report"] + 1
    record = json.loads((tmp_path / "out" / "a.json").read_text(encoding="utf-8"))
    assert record["schema"] == BRIEF_SCHEMA and json.loads(result.stdout)["schema"] == REPORT_SCHEMA
    record["coverage"]["sentences"] = "two"
    with pytest.raises(jsonschema.ValidationError):
        check_against_schema("brief", record)
    del record["coverage"]
    record["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        check_against_schema("brief", record)
