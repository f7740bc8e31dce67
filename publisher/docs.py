"""Regenerates the parts of README.md and .env.example that are derived from code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from publisher.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def settings_table() -> str:
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]

    def row(env: str, info: Any) -> None:
        default = info.default if info.default_factory is None else info.default_factory()
        if isinstance(default, list):
            default = ":".join(map(str, default))
        if isinstance(default, bool):
            default = str(default).lower()
        shown = "" if default is None else f"`{default}`"
        rows.append(f"| `{env}` | {shown} | {info.description or ''} |")

    for name, info in Settings.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            for sub, sinfo in ann.model_fields.items():
                row(f"PUBLISHER_{name.upper()}__{sub.upper()}", sinfo)
        else:
            row(f"PUBLISHER_{name.upper()}", info)
    return "\n".join(rows)


def render_readme(text: str) -> str:
    return re.sub(
        r"(<!-- settings:begin -->\n).*?(<!-- settings:end -->)",
        lambda m: m.group(1) + settings_table() + "\n" + m.group(2),
        text,
        flags=re.S,
    )


def main() -> None:
    readme = ROOT / "README.md"
    readme.write_text(render_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
    (ROOT / ".env.example").write_text(Settings.env_example(), encoding="utf-8")


if __name__ == "__main__":
    main()
