"""Progress display for long stages: items, tokens, items/s, tokens/s and ETA (on stderr)."""

from __future__ import annotations

import sys
import time

from tqdm.auto import tqdm


class Progress:
    """A tqdm bar whose postfix shows tokens and tokens/s next to docs/s and the ETA."""

    def __init__(self, stage: str, total: int | None = None, unit: str = "doc", enabled: bool = True):
        self.stage, self.total, self.unit, self.enabled = stage, total, unit, enabled
        self.tokens = 0
        self.start = time.perf_counter()
        self.bar = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self.bar = tqdm(
                total=self.total, desc=self.stage, unit=self.unit, file=sys.stderr, dynamic_ncols=True, smoothing=0.1
            )
        return self

    def update(self, n: int, tokens: int = 0) -> None:
        self.tokens += tokens
        if self.bar is not None:
            self.bar.update(n)
            if self.tokens:
                rate = self.tokens / max(time.perf_counter() - self.start, 1e-9)
                self.bar.set_postfix_str(f"{self.tokens:,} tok, {rate:,.0f} tok/s", refresh=False)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
