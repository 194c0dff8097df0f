#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of tests/fuzz_vfio_feature.c and tests/fuzz_vfio_rw.c
(their input formats are described there). Run from tests/fuzz-corpus/."""
import os
import struct

GET, SET, PROBE = 1 << 16, 1 << 17, 1 << 18
DMA_BUF, MIGRATION = 11, 1
CONFIG, BAR0, BAR2, ROM, VGA = 7, 0, 2, 6, 8
CMD_MEM, CMD_MASTER = 2, 4


def feature(flags, payload=b"", argsz=None):
    body = struct.pack("<II", 0, flags) + payload
    argsz = len(body) if argsz is None else argsz
    return struct.pack("<II", argsz, flags) + payload


def dmabuf(region, ranges, nr=None, flags=0):
    nr = len(ranges) if nr is None else nr
    p = struct.pack("<IIII", region, 0, flags, nr)
    for off, length in ranges:
        p += struct.pack("<QQ", off, length)
    return p


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def feature_seeds(d):
    os.makedirs(d, exist_ok=True)
    K = 1024
    seeds = {
        # byte 0: device | ioctl << 2; byte 1: what to do with the export
        "get-gpu0-import-revoke-reset": (0, 7, feature(GET | DMA_BUF, dmabuf(BAR2, [(0, 64 * K)]))),
        "get-gpu1-two-ranges": (1, 1, feature(GET | DMA_BUF, dmabuf(BAR2, [(64 * K, 4 * K), (1024 * K, 8 * K)]))),
        "get-nvgrace-usemem": (2, 1, feature(GET | DMA_BUF, dmabuf(4, [(0, 4 * K)]))),
        "probe-dmabuf": (0, 0, feature(PROBE | GET | DMA_BUF)),
        "argsz-too-small": (0, 0, feature(GET | DMA_BUF, dmabuf(BAR2, [(0, 4 * K)]), argsz=4)),
        "argsz-beyond-buffer": (0, 0, feature(GET | DMA_BUF, dmabuf(BAR2, [(0, 4 * K)]), argsz=4096)),
        "unknown-feature": (0, 0, feature(GET | 99, b"\0" * 16)),
        "get-and-set": (0, 0, feature(GET | SET | DMA_BUF, dmabuf(BAR2, [(0, 4 * K)]))),
        "no-get-no-set": (0, 0, feature(DMA_BUF, dmabuf(BAR2, [(0, 4 * K)]))),
        "nr-ranges-huge": (0, 0, feature(GET | DMA_BUF, dmabuf(BAR2, [(0, 4 * K)], nr=0xffffffff))),
        "nr-ranges-zero": (0, 0, feature(GET | DMA_BUF, dmabuf(BAR2, []))),
        "config-region": (0, 0, feature(GET | DMA_BUF, dmabuf(CONFIG, [(0, 4 * K)]))),
        "range-unaligned": (0, 0, feature(GET | DMA_BUF, dmabuf(BAR2, [(1, 4 * K - 1)]))),
        "range-wraps": (0, 0, feature(GET | DMA_BUF, dmabuf(BAR2, [(2**64 - 4 * K, 8 * K)]))),
        "ranges-overlap": (1, 3, feature(GET | DMA_BUF, dmabuf(BAR2, [(0, 8 * K), (4 * K, 8 * K)]))),
        "dmabuf-flags": (0, 0, feature(GET | DMA_BUF, dmabuf(BAR2, [(0, 4 * K)], flags=1))),
        "migration-get": (0, 0, feature(GET | MIGRATION, b"\0" * 8)),
        "empty": (0, 0, b""),
        "region-info-bar2": (2 << 2, 0, struct.pack("<IIIIQQ", 32, 0, BAR2, 0, 0, 0)),
        "region-info-bad-index": (2 << 2, 0, struct.pack("<IIIIQQ", 32, 0, 77, 0, 0, 0)),
        "reset": (3 << 2, 0, b""),
        "hot-reset": ((3 << 2) | (3 << 4), 0, struct.pack("<III", 12, 0, 0)),
    }
    for name, (b0, b1, arg) in seeds.items():
        write(os.path.join(d, name), bytes([b0, b1]) + arg)


def op(write_, region, count, off, raw=False, data=b""):
    o = (1 if write_ else 0) | (2 if raw else 0)
    return struct.pack("<BBHQ", o, region, count, off) + data


def rw_seeds(d):
    os.makedirs(d, exist_ok=True)
    cmd = lambda v: op(True, CONFIG, 2, 4, data=struct.pack("<H", v))
    seeds = {
        "config-header": bytes([0]) + op(False, CONFIG, 64, 0),
        "config-all": bytes([1]) + op(False, CONFIG, 4096, 0),
        "memory-off-then-bar": bytes([0]) + cmd(CMD_MASTER) + op(False, BAR0, 4, 0) + cmd(CMD_MASTER | CMD_MEM),
        "export-memory-off-on": bytes([2]) + cmd(CMD_MASTER) + cmd(CMD_MASTER | CMD_MEM) + op(False, BAR2, 8, 0),
        "export-d3hot": bytes([2]) + op(True, CONFIG, 2, 0x44, data=struct.pack("<H", 3)) +
                        op(True, CONFIG, 2, 0x44, data=struct.pack("<H", 0)),
        "bar2-past-end": bytes([0]) + op(False, BAR2, 8, 4 * 1024 * 1024 - 4),
        "raw-all-ones": bytes([1]) + op(False, 0, 16, 2**64 - 1, raw=True),
        "rom-and-vga": bytes([0]) + op(False, ROM, 16, 0) + op(False, VGA, 16, 0),
        "bar0-write-4k": bytes([1]) + op(True, BAR0, 4096, 0, data=bytes(range(256)) * 16),
        "bar-sizing": bytes([0]) + op(True, CONFIG, 4, 0x10, data=b"\xff" * 4) + op(False, CONFIG, 4, 0x10),
        "write-short-input": bytes([3]) + op(True, BAR2, 8192, 4096, data=b"abc"),
        "region-huge-offset": bytes([0]) + op(False, BAR0, 64, 2**40),
    }
    for name, data in seeds.items():
        write(os.path.join(d, name), data)


if __name__ == "__main__":
    feature_seeds("vfio_feature")
    rw_seeds("vfio_rw")
