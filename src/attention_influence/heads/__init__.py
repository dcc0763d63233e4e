"""Retrieval heads: which heads to mask, and (detection) how to find them."""

from attention_influence.heads.detect import detect_heads, same_detection, top_heads, verify_heads
from attention_influence.heads.plan import DetectionPlan, detection_size, plan_detection, probe_tokens_for
from attention_influence.heads.probes import Probe, make_probes
from attention_influence.heads.retrieval import retrieval_scores
from attention_influence.heads.spec import HeadSet, HeadSpecError, parse_heads, shipped_head_set, shipped_heads

__all__ = [
    "DetectionPlan",
    "HeadSet",
    "HeadSpecError",
    "Probe",
    "detect_heads",
    "detection_size",
    "make_probes",
    "parse_heads",
    "plan_detection",
    "probe_tokens_for",
    "retrieval_scores",
    "same_detection",
    "shipped_head_set",
    "shipped_heads",
    "top_heads",
    "verify_heads",
]
