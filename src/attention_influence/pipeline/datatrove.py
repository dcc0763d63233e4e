"""The datatrove executor (extra `datatrove`): a datatrove pipeline of one step whose task
`rank` of `world_size` scores shard `rank` of the run with the local executor, on its own GPU.
Any datatrove executor runs it (LocalPipelineExecutor here; Slurm the same way); the run folder
is the one every other executor writes."""

from __future__ import annotations

import os
import tempfile

from attention_influence.errors import SettingError, missing_extra
from attention_influence.pipeline.job import ScoreJob
from attention_influence.runs.rundir import STATE, RunDir
from attention_influence.runs.summary import ScoreSummary

_claimed: dict[str, object] = {}  # lock dir -> the open file that holds this process's GPU


def local_device(rank: int, device: str = "auto", gpu_count: int | None = None, lock_dir: str | None = None) -> str:
    """The device of a worker process: `device` unless auto; else CPU without GPUs; else
    LOCAL_RANK's GPU when a launcher sets it; else the first GPU no other process of this machine
    has claimed (held until the process ends, so the workers of a pool get one GPU each); else
    GPU rank mod count."""
    if device != "auto":
        return device
    if gpu_count is None:
        import torch

        gpu_count = torch.cuda.device_count()
    if gpu_count == 0:
        return "cpu"
    if os.environ.get("LOCAL_RANK", "").isdigit():
        return f"cuda:{int(os.environ['LOCAL_RANK']) % gpu_count}"
    lock_dir = lock_dir or tempfile.gettempdir()
    if lock_dir in _claimed:
        return _claimed[lock_dir][1]
    import fcntl

    for index in range(gpu_count):
        handle = open(os.path.join(lock_dir, f"attninf-cuda-{index}.lock"), "a")  # noqa: SIM115 - held for life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _claimed[lock_dir] = (handle, f"cuda:{index}")
        return f"cuda:{index}"
    return f"cuda:{rank % gpu_count}"


def _import_datatrove():
    try:
        from datatrove.executor import LocalPipelineExecutor
    except ImportError as err:
        raise missing_extra("datatrove", "the datatrove engine") from err
    return LocalPipelineExecutor


class DatatroveExecutor:
    """Runs the run's shards as the `tasks` of a datatrove LocalPipelineExecutor (`workers` at a
    time; default one per GPU, else one), each loading the job's model on its own device."""

    name = "datatrove"

    def __init__(self, loaded=None, device: str = "auto", tasks: int | None = None, workers: int | None = None):
        _import_datatrove()
        import torch

        gpus = torch.cuda.device_count()
        self.workers = workers or max(1, gpus)
        self.tasks = tasks or self.workers

    def planning_model(self, job: ScoreJob) -> None:
        return None  # the tasks load the model

    def device_type(self) -> str:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def score(self, job: ScoreJob, progress: bool = True) -> ScoreSummary:
        if job.settings.num_shards != 1:
            raise SettingError("num_shards", "the datatrove engine cuts the run into its tasks: leave num_shards at 1")
        from attention_influence.pipeline.datatrove_step import ScoreShards

        LocalPipelineExecutor = _import_datatrove()
        rundir = RunDir(job.out)
        LocalPipelineExecutor(
            pipeline=[ScoreShards(job)],
            tasks=self.tasks,
            workers=self.workers,
            logging_dir=rundir.file(STATE, "datatrove"),
            skip_completed=False,  # the run folder knows which chunks are done
        ).run()
        rundir.check_complete()
        summary = ScoreSummary.merge(rundir.shard_summaries())
        summary.executor = self.name
        return summary
