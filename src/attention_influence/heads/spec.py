"""Which heads to mask: a heads.json file (from `attninf heads`) or a "layer:head,..." list."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from attention_influence.errors import UserError

_PAIR = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


class HeadSpecError(UserError):
    """The heads argument or file is malformed."""


@dataclass
class HeadSet:
    """Heads to mask, as sorted unique (layer, head) pairs, 0-based."""

    heads: list[tuple[int, int]]
    source: str = "list"
    model_fingerprint: str | None = None  # set when read from a heads.json
    info: dict = field(default_factory=dict)

    def as_string(self) -> str:
        return ",".join(f"{layer}:{head}" for layer, head in self.heads)


def parse_heads(spec: str | Path | list | HeadSet) -> HeadSet:
    """Read heads from a heads.json path, a "17:3,18:6" string or a list of pairs."""
    if isinstance(spec, HeadSet):
        return spec
    if isinstance(spec, (list, tuple)):
        return HeadSet(sorted({(int(a), int(b)) for a, b in spec}))
    text = str(spec).strip()
    if text.endswith(".json") or Path(text).is_file():
        path = Path(text)
        if not path.is_file():
            raise HeadSpecError(f"heads file not found: {text}")
        try:
            data = json.loads(path.read_text())
            pairs = data["selected"]
            heads = sorted({(int(a), int(b)) for a, b in pairs})
        except (ValueError, KeyError, TypeError) as err:
            raise HeadSpecError(f'{text}: not a heads.json file (need "selected": [[layer, head], ...])') from err
        return HeadSet(heads, str(path), data.get("fingerprint"), data)
    heads = []
    for part in filter(None, text.split(",")):
        match = _PAIR.match(part)
        if not match:
            raise HeadSpecError(f"bad head {part!r} in --heads: use layer:head pairs such as 17:3,18:6")
        heads.append((int(match[1]), int(match[2])))
    if not heads:
        raise HeadSpecError("--heads is empty")
    return HeadSet(sorted(set(heads)))
