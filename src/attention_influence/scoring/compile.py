"""torch.compile for the engine: each decoder layer compiled, with a clean fallback to eager.

Each decoder layer's forward is compiled on its own, so the shared-prefix hooks and the head
masking stay outside the graphs (a model of 30 layers gives three graphs: layers below the first
masked one, upper layers, upper layers with masked heads). Shapes start static; when the number
of rows of a batch changes, dynamo recompiles once with that dimension dynamic (its default
"automatic dynamic"), so a run compiles a handful of graphs, never one per batch.

If compiling (or running a compiled graph) fails, the engine gives the layers their eager
forwards back and reruns the batch (engine.Scorer._run_forward): scores never depend on
compilation, only speed does.
"""

from __future__ import annotations

import torch

from attention_influence.scoring.shared_prefix import decoder_layers


def is_out_of_memory(err: BaseException) -> bool:
    """A device (or host) allocation failed: the batch was too large, the code is fine."""
    if isinstance(err, torch.OutOfMemoryError):
        return True
    return isinstance(err, RuntimeError) and (
        "out of memory" in str(err).lower() or "can't allocate memory" in str(err).lower()
    )


RECOMPILE_LIMIT = 64  # graphs per function: one per (rows, doubled or not, masked or not); dynamo's default is 8


def allow_graphs_per_shape() -> None:
    """Raise dynamo's process-wide recompile limit to RECOMPILE_LIMIT (never lower it): compiled
    layers and flex attention build a graph per batch shape."""
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, RECOMPILE_LIMIT)


class CompiledLayers:
    """The model's decoder layers, compiled with `options` (torch.compile keyword arguments)."""

    def __init__(self, model: torch.nn.Module, options: dict | None = None):
        self.layers = list({id(m): m for m in decoder_layers(model)}.values())
        self.error: str | None = None  # why compilation was given up, if it was
        self.compiled = [torch.compile(layer.forward, **(options or {})) for layer in self.layers]
        self.install()

    def install(self) -> None:
        """Give every layer its compiled forward."""
        for layer, forward in zip(self.layers, self.compiled, strict=True):
            layer.forward = forward
        self.error = None

    @property
    def active(self) -> bool:
        return self.error is None

    def restore(self, reason: str) -> None:
        """Give every layer its eager forward back."""
        for layer in self.layers:
            layer.__dict__.pop("forward", None)
        self.error = reason
