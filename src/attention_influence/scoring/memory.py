"""Peak memory of the scoring process, for the run summary and the benchmark."""

from __future__ import annotations

import resource
import sys

import torch


def peak_memory_bytes(device: torch.device | str = "cpu") -> int:
    """Peak memory of this process so far: CUDA allocator peak on a GPU, else peak resident set."""
    if torch.device(device).type == "cuda":
        return torch.cuda.max_memory_allocated(device)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux
