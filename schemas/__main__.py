"""Write the JSON Schemas of the events to ``schemas/json/``: ``python -m schemas``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from schemas.events import DeadLetterEvent, TicketCategorized, TicketCreated

SCHEMA_DIR = Path(__file__).parent / "json"
# The input contract describes what producers may send (validation mode). The two output
# contracts describe what the consumer writes (serialization mode).
MODELS: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {
    "ticket-created.schema.json": (TicketCreated, "validation"),
    "ticket-categorized.schema.json": (TicketCategorized, "serialization"),
    "dead-letter.schema.json": (DeadLetterEvent, "serialization"),
}


def render(model: type[BaseModel], mode: JsonSchemaMode) -> str:
    """Return the model's JSON Schema as the text stored in the file."""
    schema: dict[str, object] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(model.model_json_schema(mode=mode))
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for filename, (model, mode) in MODELS.items():
        (SCHEMA_DIR / filename).write_text(render(model, mode), encoding="utf-8")
        print(SCHEMA_DIR / filename)
    return 0


if __name__ == "__main__":
    sys.exit(main())
