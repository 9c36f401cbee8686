"""Structure-aware mutations: damage a file where its reader looks, keeping the rest valid.

Byte flips mostly fail a checksum or a JSON parse and never reach the deeper checks. So
besides byte-level damage (flip, cut, insert, repeat), each format has mutations that
keep its framing valid: a striate file's JSON document gets a value replaced — by an
extreme number, a wrong type, a deep nesting — and is written back with a fresh
checksum; its tensors get NaN, float32's max or another shape; an IDX file gets other
dimensions or dtype codes; an ONNX graph other dims, data types, raw data or attributes;
a TOML config other values. `mutate(name, data, rng)` returns one mutant.
"""

from __future__ import annotations

import gzip
import json
import random
import struct
import zlib

from readers import join_safetensors, split_safetensors

EXTREMES = [0, -1, 1, 2, 3, 7, 255, 2**31, 2**32, 2**62, 2**63 - 1, 2**63, 2**64, 10**18, 10**400, -2**63,
            0.5, -0.0, 1e-300, 1e308, 3.4e38, True, False, None, "", "x", "float32", "Conv2D", "NaN", [], {},
            [1], [2**62, 1], {"type": "Dense", "config": {}}]


def _deep(depth: int):
    value = 0
    for _ in range(depth):
        value = [value]
    return value


def interesting(rng: random.Random):
    choice = rng.random()
    if choice < 0.05:
        return _deep(rng.choice([40, 600]))
    if choice < 0.15:
        return rng.randint(-2**70, 2**70)
    return rng.choice(EXTREMES)


# ---- bytes ------------------------------------------------------------------------
def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    kind = rng.randrange(5)
    if not b or kind == 0:
        return bytes(b[: rng.randrange(len(b) + 1)])  # cut
    if kind == 1:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] ^= rng.randint(1, 255)
    elif kind == 2:
        at = rng.randrange(len(b) + 1)
        b[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    elif kind == 3:
        at = rng.randrange(len(b))
        del b[at : at + rng.randint(1, 16)]
    else:
        at = rng.randrange(len(b))
        b[at:at] = b[at : at + rng.randint(1, 64)] * rng.randint(1, 64)
    return bytes(b)


# ---- JSON values ------------------------------------------------------------------------
def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list) and len(value) < 64:
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


def mutate_json(doc, rng: random.Random):
    """A copy of doc with one value replaced, a key dropped or added."""
    doc = json.loads(json.dumps(doc))
    paths = [p for p in _paths(doc) if p]
    if not paths:
        return interesting(rng)
    path = rng.choice(paths)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    kind = rng.random()
    if kind < 0.1 and isinstance(parent, dict):
        del parent[path[-1]]
    elif kind < 0.15 and isinstance(parent, dict):
        parent[rng.choice(["extra", "type", "config", "__tensor__"])] = interesting(rng)
    elif kind < 0.25 and isinstance(parent[path[-1]], (int, float)) and not isinstance(parent[path[-1]], bool):
        parent[path[-1]] = parent[path[-1]] * rng.choice([-1, 2, 1000, 2**40]) + rng.choice([0, 1, -1])
    else:
        parent[path[-1]] = interesting(rng)
    return doc


def _dumps(doc, rng: random.Random) -> str:
    text = json.dumps(doc)
    return text.replace('"NaN"', "NaN") if "NaN" in text and rng.random() < 0.3 else text


# ---- striate files (model files and checkpoints) ---------------------------------------
def mutate_striate(data: bytes, rng: random.Random) -> bytes:
    from striate.io import document, safefile

    parts = split_safetensors(data)
    if parts is None or not isinstance(parts[0], dict) or rng.random() < 0.1:
        return mutate_bytes(data, rng)
    header, body = parts
    meta = header.get("__metadata__", {})
    kind = rng.random() * 0.9
    tensors = None
    if kind < 0.5 and isinstance(meta, dict) and isinstance(meta.get("striate"), str):
        try:
            tensors, _ = safefile.read(_tmp_write(data))
            doc = json.loads(meta["striate"])
        except (ValueError, RecursionError):  # a mutant whose container no longer parses
            tensors = None
    if tensors is not None:  # the document, with a valid checksum
        import numpy as np

        text = _dumps(mutate_json(doc, rng), rng)
        if rng.random() < 0.3 and tensors:  # and a tensor's values
            name = rng.choice(sorted(tensors))
            a = tensors[name].copy()
            if a.size and a.dtype.kind == "f":
                a.flat[rng.randrange(a.size)] = rng.choice([np.nan, np.inf, np.finfo(a.dtype).max, 1e12])
            tensors[name] = a
        return b"".join(bytes(c) for c in safefile.encode(tensors, {"striate": text,
                                                                     "checksum": document.checksum(text, tensors)}))
    if kind < 0.8 and isinstance(header, dict):  # the safetensors header itself
        return join_safetensors(mutate_json(header, rng), body)
    return mutate_bytes(data, rng)


_TMP = []


def _tmp_write(data: bytes):
    import tempfile
    from pathlib import Path

    if not _TMP:
        _TMP.append(Path(tempfile.mkdtemp(prefix="striate-mutate-")))
    path = _TMP[0] / "seed"
    path.write_bytes(data)
    return path


BOMB = gzip.compress(bytes(1 << 20), mtime=0) * 8  # 8 MB of zeros in 8 KB


# ---- IDX ----------------------------------------------------------------------------
def mutate_idx(data: bytes, rng: random.Random) -> bytes:
    gz = data[:2] == b"\x1f\x8b"
    if gz:
        try:
            data = zlib.decompressobj(31).decompress(data, 1 << 16)  # a bomb's first 64 KB is enough
        except zlib.error:
            return mutate_bytes(data, rng)
    kind = rng.random()
    if kind < 0.4 and len(data) >= 4:
        ndim = data[3]
        dims = list(struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])) if len(data) >= 4 + 4 * ndim else []
        if dims and rng.random() < 0.7:
            dims[rng.randrange(len(dims))] = rng.choice([0, 1, 2, 3, 65536, 2**31, 2**32 - 1, rng.randrange(2**32)])
        else:
            dims = dims + [rng.choice([1, 2, 65536])] if rng.random() < 0.5 else dims[:-1]
        code = data[2] if rng.random() < 0.7 else rng.choice([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x07, 0xFF])
        data = struct.pack(">HBB", 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims) + data[4 + 4 * ndim:]
    elif kind < 0.6 and len(data) > 8:  # values: NaN, inf, 3.7, 255 in the data
        b = bytearray(data)
        at = rng.randrange(8, len(b))
        b[at : at + 8] = rng.choice([struct.pack(">d", float("nan")), struct.pack(">f", float("inf")) * 2,
                                     struct.pack(">f", 3.7) * 2, b"\xff" * 8, struct.pack(">d", -1e300)])
        data = bytes(b)
    else:
        data = mutate_bytes(data, rng)
    if gz:
        out = gzip.compress(data, compresslevel=1, mtime=0)
        if rng.random() < 0.3:  # damage the compressed stream itself; or bolt on a bomb
            out = mutate_bytes(out, rng) if rng.random() < 0.8 else out + BOMB
        return out
    return data


# ---- ONNX ---------------------------------------------------------------------------
def mutate_onnx(data: bytes, rng: random.Random) -> bytes:
    import onnx

    try:
        proto = onnx.load_from_string(data)
    except Exception:  # noqa: BLE001 - a mutant of a mutant may not parse
        return mutate_bytes(data, rng)
    graph = proto.graph
    kind = rng.random()
    if kind < 0.3 and graph.initializer:
        t = rng.choice(list(graph.initializer))
        what = rng.randrange(5)
        if what == 0 and t.dims:
            t.dims[rng.randrange(len(t.dims))] = rng.choice([0, 1, 2**31, 2**40, rng.randrange(100)])
        elif what == 1:
            t.data_type = rng.choice([0, 2, 7, 8, 10, 11, 14, 16, 40])
        elif what == 2:
            t.raw_data = t.raw_data + bytes(rng.randrange(1, 9)) if rng.random() < 0.5 else t.raw_data[:-4]
        elif what == 3 and t.raw_data:
            raw = bytearray(t.raw_data)
            raw[: 4] = rng.choice([b"\x00\x00\xc0\x7f", b"\x00\x00\x80\x7f", b"\xff\xff\x7f\x7f"])  # NaN, inf, max
            t.raw_data = bytes(raw)
        else:
            t.data_location = 1
            t.external_data.add(key="location", value=rng.choice(["../x.bin", "/etc/hostname", "w.bin", "a/../../b"]))
    elif kind < 0.5 and graph.input:
        dims = graph.input[0].type.tensor_type.shape.dim
        if dims:
            dims[rng.randrange(len(dims))].dim_value = rng.choice([0, 1, 900, 2**20, 2**40, 2**62])
    elif kind < 0.75 and graph.node:
        node = rng.choice(list(graph.node))
        ints = [a for a in node.attribute if a.ints or a.type == onnx.AttributeProto.INT]
        if ints:
            a = rng.choice(ints)
            if a.ints:
                a.ints[rng.randrange(len(a.ints))] = rng.choice([0, -1, 2**31, 2**62, rng.randrange(10)])
            else:
                a.i = rng.choice([0, -1, 2**31, 2**62, rng.randrange(10)])
        else:
            node.op_type = rng.choice(["Relu", "Conv", "Gemm", "Flatten", "Pad", "Constant", "Reshape"])
    else:
        return mutate_bytes(data, rng)
    return proto.SerializeToString()


# ---- TOML ---------------------------------------------------------------------------
def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return '"none"'
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(value), repr(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value) if isinstance(value, str) else str(value)


def mutate_toml(data: bytes, rng: random.Random) -> bytes:
    import tomllib

    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return mutate_bytes(data, rng)
    if rng.random() < 0.25:
        return mutate_bytes(data, rng)
    doc = mutate_json(doc, rng) if rng.random() < 0.85 else {**doc, "x": float("nan")}
    try:
        return _toml_text(doc)
    except RecursionError:  # a value nested 600 deep: write it by hand
        return b"input_shape = " + b"[" * 600 + b"1" + b"]" * 600 + b"\n"


def _toml_text(doc) -> bytes:
    if not isinstance(doc, dict):
        return _toml_value(doc).encode()
    lines = [f"{k} = {_toml_value(v)}" for k, v in doc.items() if k != "layers"]
    layers = doc.get("layers")
    if isinstance(layers, list) and all(isinstance(spec, dict) for spec in layers):
        for spec in layers:
            lines += ["[[layers]]", *(f"{k} = {_toml_value(v)}" for k, v in spec.items())]
    elif layers is not None:
        lines.append(f"layers = {_toml_value(layers)}")
    return ("\n".join(lines) + "\n").encode()


MUTATORS = {"model": mutate_striate, "checkpoint": mutate_striate, "idx": mutate_idx, "idx_gz": mutate_idx,
            "onnx": mutate_onnx, "toml": mutate_toml, "image": mutate_bytes}


def mutate(name: str, data: bytes, rng: random.Random) -> bytes:
    try:
        return MUTATORS[name](data, rng)
    except RecursionError:  # a parent nested too deep for the mutator's own JSON and TOML writers
        return mutate_bytes(data, rng)
