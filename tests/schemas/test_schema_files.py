import json

import jsonschema
import pytest

from schemas.__main__ import MODELS, SCHEMA_DIR, render


@pytest.mark.parametrize("filename", sorted(MODELS))
def test_schema_file_matches_model(filename):
    model, mode = MODELS[filename]
    stored = (SCHEMA_DIR / filename).read_text(encoding="utf-8")
    assert stored == render(model, mode), f"{filename} is stale; run `python -m schemas`"


@pytest.mark.parametrize("filename", sorted(MODELS))
def test_schema_file_is_valid_json_schema(filename):
    schema = json.loads((SCHEMA_DIR / filename).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)


def test_input_schema_accepts_numeric_ticket_id():
    schema = json.loads((SCHEMA_DIR / "ticket-created.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate({"ticket_id": 7, "text": "нет воды", "custom": 1}, schema)
