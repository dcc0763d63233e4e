"""Damage-tolerant byte streams: decompress gzip/zstd block by block and split lines, so that
every complete line before a truncated or corrupt region is kept and the damage is reported."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import BinaryIO

READ_BYTES = 1 << 16  # compressed bytes per read: little is lost at the damage point


class DamagedStream(Exception):
    """The stream ends early or is corrupt; everything yielded before it is sound."""


def _decompressor(compression: str):
    if compression == "gzip":
        return zlib.decompressobj(wbits=31)
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj()


def decompressed_blocks(raw: BinaryIO, compression: str | None) -> Iterator[bytes]:
    """Blocks of decompressed bytes of `raw` (multi-member gzip and multi-frame zstd included).

    Raises DamagedStream when the data is corrupt or ends inside a member/frame."""
    if compression is None:
        yield from iter(lambda: raw.read(READ_BYTES), b"")
        return
    decoder = _decompressor(compression)
    fed = False  # the current member/frame has received input
    for data in iter(lambda: raw.read(READ_BYTES), b""):
        while data:
            try:
                block = decoder.decompress(data)
            except Exception as err:  # zlib.error, zstandard.ZstdError
                raise DamagedStream(f"corrupt {compression} data ({err})") from err
            fed = True
            if block:
                yield block
            if not decoder.eof:
                break
            data = decoder.unused_data  # the next gzip member or zstd frame
            decoder, fed = _decompressor(compression), False
    if fed and not decoder.eof:
        raise DamagedStream(f"truncated {compression} file (ends inside compressed data)")


def split_lines(blocks: Iterator[bytes], max_bytes: int) -> Iterator[bytes | None]:
    """Lines (with their newline) from blocks; None for a line longer than `max_bytes`, which
    is skipped without being held in memory."""
    pending = bytearray()
    skipping = False  # inside an overlong line
    for block in blocks:
        start = 0
        while True:
            end = block.find(b"\n", start)
            if end < 0:
                if not skipping:
                    pending += block[start:]
                    if len(pending) > max_bytes:
                        skipping, pending = True, bytearray()
                break
            if skipping:
                skipping = False
                yield None
            elif pending:
                pending += block[start : end + 1]
                yield None if len(pending) > max_bytes + 1 else bytes(pending)
                pending = bytearray()
            else:
                yield None if end + 1 - start > max_bytes + 1 else block[start : end + 1]
            start = end + 1
    if skipping:
        yield None
    elif pending:
        yield bytes(pending)
