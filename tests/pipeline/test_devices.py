"""Which device a worker process takes: every GPU of a node used, one process per GPU."""

from __future__ import annotations

import multiprocessing

from attention_influence.pipeline.datatrove import local_device


def test_an_explicit_device_and_a_machine_without_gpus():
    assert local_device(3, "cuda:1", gpu_count=8) == "cuda:1"
    assert local_device(3, "auto", gpu_count=0) == "cpu"


def test_a_launchers_local_rank_decides(monkeypatch, tmp_path):
    monkeypatch.setenv("LOCAL_RANK", "5")
    assert local_device(0, gpu_count=4, lock_dir=str(tmp_path)) == "cuda:1"


def _claim(args) -> str:
    lock_dir, rank = args
    return local_device(rank, gpu_count=4, lock_dir=lock_dir)


def test_worker_processes_claim_one_free_gpu_each(monkeypatch, tmp_path):
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        # each of 4 processes keeps its claim for life; tasks 0..7 land on their process's GPU
        devices = pool.map(_claim, [(str(tmp_path), rank) for rank in range(8)], chunksize=1)
    assert set(devices) <= {f"cuda:{i}" for i in range(4)}
    assert len(set(devices)) >= 2  # several processes ran, each on its own GPU
    assert local_device(9, gpu_count=4, lock_dir=str(tmp_path)) == "cuda:0"  # the pool is gone: its claims too


def test_more_processes_than_gpus_fall_back_to_rank_mod_count(monkeypatch, tmp_path):
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    first = local_device(0, gpu_count=1, lock_dir=str(tmp_path))  # this process claims the only GPU
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        other = pool.apply(_claim_one, (str(tmp_path), 3))
    assert (first, other) == ("cuda:0", "cuda:0")


def _claim_one(lock_dir: str, rank: int) -> str:
    return local_device(rank, gpu_count=1, lock_dir=lock_dir)
