"""Damage-tolerant byte streams: what a file holds by its first bytes (not its name), gzip/zstd
decompressed block by block, byte-order marks read as such, lines split, so that every complete
line before a truncated or corrupt region is kept and the damage is reported."""

from __future__ import annotations

import codecs
import zlib
from collections.abc import Iterator
from typing import BinaryIO

MAGIC = (  # (first bytes, what the file is)
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
    (b"PAR1", "Parquet"),
)
COMPRESSIONS = ("gzip", "zstd")  # read; the other kinds of MAGIC are refused, named
BOMS = (  # longest first: UTF-32-LE's mark starts with UTF-16-LE's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def sniff(head: bytes) -> str | None:
    """What a file is by its first bytes: a kind of MAGIC, or None (plain bytes: text)."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def text_blocks(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """The blocks of a text as UTF-8: a UTF-8 byte-order mark dropped; a text whose mark says
    UTF-16 or UTF-32 decoded and encoded again as UTF-8; a text without a mark as it is."""
    head = b""
    for block in blocks:
        head += block
        if len(head) >= 4:
            break
    encoding = next((name for bom, name in BOMS if head.startswith(bom)), None)
    if encoding is None:
        if head:
            yield head
        yield from blocks
        return
    bom = next(bom for bom, name in BOMS if name == encoding)
    if encoding == "utf-8":
        yield head[len(bom) :]
        yield from blocks
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    yield decoder.decode(head[len(bom) :]).encode("utf-8", "surrogatepass")
    for block in blocks:
        yield decoder.decode(block).encode("utf-8", "surrogatepass")
    yield decoder.decode(b"", final=True).encode("utf-8", "surrogatepass")


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
