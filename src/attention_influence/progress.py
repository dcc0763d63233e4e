"""Progress of long stages on stderr: documents and tokens done, docs/s and tok/s, ETA.

Work found done on disk (a resume) moves the count but not the rates: rates and the ETA are
over this process's own work, timed from `begin` (when the model is ready), so a restarted run
shows its real speed at once. Before its first own work, the bar shows the count found done."""

from __future__ import annotations

import sys
import threading
import time

from tqdm.auto import tqdm

_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {unit} [{elapsed}{postfix}]"
_UNKNOWN = "{desc}: {n_fmt} {unit} [{elapsed}{postfix}]"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def duration(seconds: float) -> str:
    """A rounded duration in words: '42 s', '3 min 20 s', '2 h 05 min', '3.4 days'."""
    if seconds < 60:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
    if seconds < 48 * 3600:
        return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:02.0f} min"
    return f"{seconds / 86400:.1f} days"


def rate(per_second: float, unit: str) -> str:
    """A rate as a person reads it: '1,250 docs/s', '3.4 docs/s', or, below one a second, the
    seconds per item ('25.0 s/doc'), so a slow model never shows '0.0 docs/s'."""
    if per_second <= 0:
        return f"0 {unit}s/s"
    if per_second < 1:
        return f"{1 / per_second:,.1f} s/{unit}"
    return f"{per_second:,.1f} {unit}s/s" if per_second < 100 else f"{per_second:,.0f} {unit}s/s"


class Progress:
    """A bar of documents with tokens, rates and ETA; thread-safe `update` and `skip`."""

    def __init__(self, stage: str, total: int | None = None, unit: str = "doc", enabled: bool = True):
        self.stage, self.unit, self.enabled = stage, unit, enabled
        self.total = total
        self.done = self.tokens = 0  # this process's own work
        self.skipped = self.skipped_tokens = 0  # found done (resume)
        self.start = time.perf_counter()
        self.bar = None
        self.lock = threading.Lock()

    def __enter__(self) -> Progress:
        if self.enabled:
            self.bar = tqdm(
                total=self.total,
                desc=self.stage,
                unit=f"{self.unit}s",
                file=sys.stderr,
                dynamic_ncols=True,
                bar_format=_FORMAT if self.total else _UNKNOWN,
                mininterval=0.5,
            )
        return self

    def set_total(self, total: int | None) -> None:
        """The total, once known (counted in the background)."""
        with self.lock:
            self.total = total
            if self.bar is not None and total:
                self.bar.total = total
                self.bar.bar_format = _FORMAT
                self.bar.refresh()

    def begin(self) -> None:
        """The work starts now (the model is loaded): the rates are timed from here."""
        with self.lock:
            self.start = time.perf_counter()

    def update(self, n: int, tokens: int = 0) -> None:
        """`n` documents (and `tokens`) done by this process."""
        with self.lock:
            if self.bar is not None and self.done == 0 and self.skipped:
                self.bar.refresh()  # the count found done, before this process's own work moves it
            self.done += n
            self.tokens += tokens
            self._show(n)

    def skip(self, n: int, tokens: int = 0) -> None:
        """`n` documents found done on disk: counted, but not in the rates."""
        with self.lock:
            self.skipped += n
            self.skipped_tokens += tokens
            self._show(n)

    def rates(self) -> tuple[float, float]:
        """(documents/s, tokens/s) of this process's own work."""
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        return self.done / elapsed, self.tokens / elapsed

    def _show(self, n: int) -> None:
        if self.bar is None:
            return
        docs_rate, tokens_rate = self.rates()
        parts = []
        if self.total and docs_rate > 0:
            remaining = max(self.total - self.done - self.skipped, 0)
            parts.append(f"<{_duration(remaining / docs_rate)}")
        parts.append(rate(docs_rate, self.unit))
        if self.tokens:
            parts.append(f"{self.tokens + self.skipped_tokens:,} tok, {tokens_rate:,.0f} tok/s")
        if self.skipped:
            parts.append(f"{self.skipped:,} done before")
        self.bar.set_postfix_str(", ".join(parts), refresh=False)
        self.bar.update(n)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
