"""Which heads to mask: a heads.json file (from `attninf heads`) or a "layer:head,..." list."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from attention_influence.errors import SettingError

_PAIR = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


class HeadSpecError(SettingError):
    """The heads setting or file is malformed."""

    def __init__(self, message: str):
        super().__init__("heads", message)


@dataclass
class HeadSet:
    """Heads to mask, as sorted unique (layer, head) pairs, 0-based."""

    heads: list[tuple[int, int]]
    source: str = "list"
    model_fingerprint: str | None = None  # set when read from a heads.json
    info: dict = field(default_factory=dict)


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
            raise HeadSpecError(f"bad head {part!r}: use layer:head pairs such as 17:3,18:6, or a heads.json file")
        heads.append((int(match[1]), int(match[2])))
    if not heads:
        raise HeadSpecError("no heads given: use layer:head pairs such as 17:3,18:6, or a heads.json file")
    return HeadSet(sorted(set(heads)))


SHIPPED = Path(__file__).resolve().parent / "shipped"  # heads.json files detected for models we ship


def shipped_heads(fingerprint: str) -> Path | None:
    """The shipped heads.json detected on the weights with `fingerprint`, if there is one."""
    for path in sorted(SHIPPED.glob("*.json")):
        if json.loads(path.read_text()).get("fingerprint") == fingerprint:
            return path
    return None


def shipped_head_set(name: str, fingerprint: str) -> HeadSet:
    """The heads shipped for the weights with `fingerprint` (the model `name`); SettingError
    naming what to give instead when none are."""
    path = shipped_heads(fingerprint)
    if path is None:
        raise SettingError(
            "heads",
            f"no heads are shipped for {name}: give heads (a heads.json, found with `attninf heads --sentences FILE`, "
            "or layer:head pairs such as 17:3,18:6), or sentences to detect them from (attninf run --sentences FILE)",
        )
    return parse_heads(str(path))
