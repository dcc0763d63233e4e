"""Head masking: masked heads attend uniformly to every position they can see."""

from attention_influence.masking.attention import (
    AttentionLayer,
    UnsupportedArchitecture,
    enable_masking,
    head_shape,
    mask_heads,
    record_attention_inputs,
    validate_heads,
)

__all__ = [
    "AttentionLayer",
    "UnsupportedArchitecture",
    "enable_masking",
    "head_shape",
    "mask_heads",
    "record_attention_inputs",
    "validate_heads",
]
