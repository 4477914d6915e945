"""Write a world's YAML fact files as JSON Lines (one ``.jsonl`` per ``.yaml``), to measure a
cold load from bulk files: ``jsonl_world.py SRC_DIR OUT_DIR``.

Dates become ISO text (as the YAML loader keeps them before validation).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml


def convert(source: Path, out: Path) -> int:
    """Write each YAML file of ``source`` as JSON Lines into ``out``; returns records written."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sorted(source.glob("*.yaml")):
        document: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        if isinstance(document, dict):
            document = document.get("records", [])
        with (out / f"{path.stem}.jsonl").open("w", encoding="utf-8") as lines:
            for record in document or []:
                lines.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
                written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    arguments = parser.parse_args()
    print(f"{convert(arguments.source, arguments.out)} records")


if __name__ == "__main__":
    main()
