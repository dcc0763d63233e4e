"""The executors, one protocol: where the chunks of a run are scored. `make_executor` builds the
one an EngineSettings names (config.py holds the engines and their options, the CLI's flags come
from there); its extra is checked when it is built, before any work."""

from __future__ import annotations

import importlib
from typing import Protocol

from attention_influence.config import EngineSettings
from attention_influence.models import LoadedModel
from attention_influence.pipeline.job import ScoreJob
from attention_influence.runs.summary import ScoreSummary

EXECUTORS = {  # engine -> "module:class"
    "local": "attention_influence.pipeline.local:LocalExecutor",
    "ray": "attention_influence.pipeline.ray:RayExecutor",
    "datatrove": "attention_influence.pipeline.datatrove:DatatroveExecutor",
}


class Executor(Protocol):
    """Scores a job's chunks: here (local), on a Ray cluster, or as datatrove tasks."""

    name: str

    def device_type(self) -> str:
        """Where the model will run: 'cuda' or 'cpu' (decides dtype 'auto' in the manifest)."""
        ...

    def planning_model(self, job: ScoreJob) -> LoadedModel | None:
        """The model that will score the job, loaded in this process (the plan measures its time on
        it); None when the model loads on workers."""
        ...

    def score(self, job: ScoreJob, progress: bool = True) -> ScoreSummary:
        """Score the job (its shard, or every shard of the run) into its run folder."""
        ...


def make_executor(engine: EngineSettings, device: str = "auto", loaded: LoadedModel | None = None) -> Executor:
    """The executor `engine` names, with its options; `loaded`: a model loaded in this process,
    which an executor that scores here uses (the others load theirs on their workers)."""
    module, name = EXECUTORS[engine.engine].split(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(loaded=loaded, device=device, **{k: v for k, v in engine.options.items() if v is not None})
