#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target to tests/fuzz/corpus/<target>/ (standard library only).

Valid files like those the tests make, and hand-made edge cases: zero length, truncated, huge
declared sizes, offsets past the end, overlapping tensors, overflowing shape products, unknown
dtypes, deeply nested JSON, a BOM, NUL bytes. Files named regression-* are inputs that once broke
a parser; they are kept as they are (this script does not write or remove them).
Run: python3 tests/fuzz/make_corpus.py
"""
import gzip
import io
import json
import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# --- safetensors
def safetensors(header, data=b"", pad=True):
    text = json.dumps(header, separators=(",", ":")).encode() if not isinstance(header, bytes) else header
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


st = "safetensors"
write(st, "valid_two_tensors", safetensors(
    {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
     "b": {"dtype": "U8", "shape": [3], "data_offsets": [16, 19]},
     "__metadata__": {"format": "pt"}}, struct.pack("<4f", 1, 2, 3, 4) + b"\x01\x02\x03"))
DTYPES = [("F64", 8), ("I64", 8), ("U64", 8), ("F32", 4), ("I32", 4), ("U32", 4), ("F16", 2), ("BF16", 2),
          ("I16", 2), ("U16", 2), ("F8_E4M3", 1), ("F8_E5M2", 1), ("I8", 1), ("U8", 1), ("BOOL", 1)]
every, offset = {}, 0
for name, size in DTYPES:  # widest first, as safetensors.torch and softvit write them
    every[name] = {"dtype": name, "shape": [1], "data_offsets": [offset, offset + size]}
    offset += size
write(st, "valid_every_dtype", safetensors(every, b"\0" * offset))
write(st, "valid_empty_and_scalar", safetensors(
    {"e": {"dtype": "F32", "shape": [0, 5], "data_offsets": [0, 0]},
     "s": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]}}, b"\0" * 8))
write(st, "zero_length", b"")
write(st, "truncated_length", b"\x10\x00\x00")
write(st, "length_past_end", struct.pack("<Q", 1000) + b"{}")
write(st, "length_huge", struct.pack("<Q", 2**63 + 5) + b"{}      ")
write(st, "offsets_past_end", safetensors({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8))
write(st, "offsets_reversed", safetensors({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4))
write(st, "overlapping", safetensors(
    {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
     "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12))
write(st, "hole", safetensors({"a": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}, b"\0" * 4))
write(st, "shape_negative", safetensors({"w": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 16]}}, b"\0" * 16))
write(st, "shape_2e40", safetensors({"w": {"dtype": "F32", "shape": [1048576, 1048576], "data_offsets": [0, 16]}}, b"\0" * 16))
write(st, "shape_overflow", safetensors(
    {"w": {"dtype": "F64", "shape": [4294967296, 4294967296, 16], "data_offsets": [0, 0]}}))
write(st, "shape_float", safetensors({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}, b"\0" * 4))
write(st, "dtype_unknown", safetensors({"w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, b"\0" * 16))
write(st, "duplicate_name", safetensors(
    b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}',
    b"\0\0"))
write(st, "metadata_not_string", safetensors({"__metadata__": {"k": 1}}))
write(st, "bom", safetensors(b"\xef\xbb\xbf{}"))
write(st, "nul_bytes", safetensors(b'{"w\x00x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\0"))
write(st, "not_object", safetensors(b"[1,2,3]"))
write(st, "nested_4000", safetensors(b'{"w":{"dtype":"F32","shape":' + b"[" * 4000 + b"]" * 4000
                                     + b',"data_offsets":[0,0]}}'))

# --- npy (inside npz): MedMNIST's |u1 arrays
def npy(header, data=b"", version=1):
    text = header.encode() if isinstance(header, str) else header
    prefix = 10 if version == 1 else 12
    text += b" " * ((63 - (prefix + len(text)) % 64) % 64) + b"\n"
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text + data


np_ = "npy"
write(np_, "valid_images", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 3), }", bytes(range(18))))
write(np_, "valid_labels", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (4, 1), }", b"\0\1\0\1"))
write(np_, "valid_v2", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", b"abc", version=2))
write(np_, "valid_scalar", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", b"x"))
write(np_, "zero_length", b"")
write(np_, "bad_magic", b"\x93NUMPX\x01\x00\x00\x00")
write(np_, "truncated_data", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (10, 10), }", b"\0" * 7))
write(np_, "header_past_end", b"\x93NUMPY\x01\x00\xff\xff{'descr'")
write(np_, "header_past_end_v3", b"\x93NUMPY\x03\x00\xff\xff\xff\xff{'descr'")
write(np_, "dtype_float", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", b"\0" * 4))
write(np_, "fortran", npy("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2), }", b"\0" * 4))
write(np_, "negative_dim", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (-1, 2), }", b"\0" * 4))
write(np_, "huge_dims", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1099511627776,), }", b"\0" * 4))
write(np_, "dim_not_a_number", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2x, 2), }", b"\0" * 4))
write(np_, "dim_past_int64", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999,), }"))
write(np_, "unclosed_quote", npy("{'descr': '|u1, 'fortran_order': False, 'shape': (1, }"))
write(np_, "nul_bytes", npy(b"{'descr': '|u1\x00', 'fortran_order': False, 'shape': (1,), }", b"\0"))
write(np_, "no_shape", npy("{'descr': '|u1', 'fortran_order': False}"))

# --- idx (the MNIST family), plain and gzip
def idx(dims, data=b"", kind=8):
    return bytes([0, 0, kind, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


ix = "idx"
write(ix, "valid_images", idx([2, 3, 3], bytes(range(18))))
write(ix, "valid_labels", idx([4], b"\0\1\2\3"))
write(ix, "valid_gzip", gzip.compress(idx([2, 2, 2], bytes(range(8))), mtime=0))
write(ix, "zero_length", b"")
write(ix, "truncated_header", idx([2, 3, 3])[:9])
write(ix, "truncated_data", idx([10, 28, 28], b"\0" * 100))
write(ix, "truncated_gzip", gzip.compress(idx([4, 4], bytes(range(16))), mtime=0)[:-9])
write(ix, "bad_magic", b"\x01\x00\x08\x01\0\0\0\1x")
write(ix, "type_float", idx([1], b"\0" * 4, kind=0x0D))
write(ix, "zero_dims", bytes([0, 0, 8, 0]))
write(ix, "five_dims", bytes([0, 0, 8, 5]) + b"\0\0\0\1" * 5 + b"x")
write(ix, "zero_size_dim", idx([0, 28, 28]))

# --- jpeg_header: the marker walk up to the frame header, with the APP1/EXIF orientation
def segment(marker, body):
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def exif(orientation, big_endian=True, ifd_offset=8, entries=None):
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, ifd_offset)
    items = entries if entries is not None else [(0x0112, 3, 1, orientation)]
    tiff += struct.pack(e + "H", len(items))
    for tag, kind, count, value in items:
        tiff += struct.pack(e + "HHIHH", tag, kind, count, value, 0)
    return segment(0xE1, b"Exif\0\0" + tiff)


SOF = segment(0xC0, bytes([8]) + struct.pack(">HH", 16, 24) + bytes([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]))
JFIF = segment(0xE0, b"JFIF\0\x01\x01\0\0\1\0\1\0\0")
DQT = segment(0xDB, b"\0" + bytes(range(1, 65)))
SOS = segment(0xDA, bytes([3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0])) + b"\x12\x34" + b"\xff\xd9"
jp = "jpeg_header"
write(jp, "valid_jfif", b"\xff\xd8" + JFIF + DQT + SOF + SOS)
write(jp, "valid_exif_6_mm", b"\xff\xd8" + exif(6) + DQT + SOF + SOS)
write(jp, "valid_exif_8_ii", b"\xff\xd8" + exif(8, big_endian=False) + SOF + SOS)
write(jp, "exif_then_xmp", b"\xff\xd8" + exif(3) + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>") + SOF)
write(jp, "fill_bytes_and_rst", b"\xff\xd8\xff\xff\xff\xd0" + SOF)
write(jp, "zero_length", b"")
write(jp, "png", b"\x89PNG\r\n\x1a\n")
write(jp, "truncated_in_frame", (b"\xff\xd8" + SOF)[:12])
write(jp, "length_past_end", b"\xff\xd8\xff\xe1\xff\xf0Exif\0\0MM")
write(jp, "length_one", b"\xff\xd8\xff\xe0\x00\x01" + SOF)
write(jp, "exif_ifd_past_end", b"\xff\xd8" + exif(6, ifd_offset=0xFFFFFFF0) + SOF)
write(jp, "exif_many_entries", b"\xff\xd8" + segment(0xE1, b"Exif\0\0MM\0\x2a\0\0\0\x08\xff\xff" + b"\0" * 12) + SOF)
write(jp, "exif_orientation_99", b"\xff\xd8" + exif(99) + SOF)
write(jp, "exif_bad_byte_order", b"\xff\xd8" + segment(0xE1, b"Exif\0\0XX\0\x2a\0\0\0\x08\0\0") + SOF)
write(jp, "scan_before_frame", b"\xff\xd8" + SOS)
write(jp, "short_frame", b"\xff\xd8" + segment(0xC2, b"\x08\0"))

# --- csv manifests
cs = "csv"
write(cs, "valid_manifest", "path,label\nimg/a.png,cat\nimg/b.png,dog\n")
write(cs, "valid_multilabel_split", "path,split,cardiomegaly,effusion\r\na.png,train,1,0\r\nb.png,val,0,1\r\n")
write(cs, "bom_crlf", "\ufeffpath,label\r\na.png,1\r\n")
write(cs, "quotes", 'path,label\n"with, comma.png","say ""hi"""\n"multi\nline.png",2\n')
write(cs, "unterminated_quote", 'path,label\n"a.png,1\n')
write(cs, "zero_length", "")
write(cs, "nul_bytes", b"path,label\na\0.png,1\n\0,\0\n")
write(cs, "only_separators", ",,,\n\n\r\r\n,")
write(cs, "bare_cr", "path,label\ra.png,1\rb.png,2")

# --- the YAML config layer
cf = "config"
for name in ("quickstart.yaml", "soft_tiny_imagenet.yaml", "medmnist_base.yaml"):  # no include:
    with open(os.path.join(HERE, "..", "..", "configs", name), "rb") as f:
        write(cf, "valid_" + name.replace(".yaml", ""), f.read())
write(cf, "valid_flow", "model: {name: vit_mini_patch4_28, depth: 2}\ntrain: {epochs: 1}\n")
write(cf, "zero_length", "")
write(cf, "not_a_map", "- a\n- b\n")
write(cf, "unknown_key", "model:\n  nmae: x\n")
write(cf, "wrong_type", "train:\n  epochs: many\n")
write(cf, "bom", "\ufefftrain:\n  epochs: 3\n")
write(cf, "nul_bytes", b"train:\n  epochs: 3\0\n")
write(cf, "tabs_and_bad_indent", "train:\n\tepochs: 3\n  lr: [1, 2\n")
write(cf, "nested_2000", "a: " + "[" * 2000 + "]" * 2000 + "\n")
write(cf, "nested_maps", "a:\n" + "".join("  " * i + "k%d:\n" % i for i in range(1, 200)))
write(cf, "anchors", "model: &m {depth: 2}\nmodel2: *m\ntrain: {epochs: *undefined}\n")
write(cf, "include_missing", "include: does-not-exist.yaml\n")
write(cf, "huge_number", "train:\n  epochs: 99999999999999999999999\n  lr: 1e999\n")

# --- npz: a zip of .npy members, as MedMNIST ships them

def npz(members, method=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
    return out.getvalue()


def zip_claiming(name, data, claimed_size):
    """One deflated member whose central directory claims `claimed_size` uncompressed bytes (zip64)."""
    packed = zlib.compress(data)[2:-4]  # raw deflate
    crc = zlib.crc32(data)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(packed), len(data), len(name), 0)
    local += name + packed
    extra = struct.pack("<HHQ", 1, 8, claimed_size)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0, crc, len(packed), 0xFFFFFFFF,
                          len(name), len(extra), 0, 0, 0, 0, 0) + name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


images = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 3), }", bytes(range(18)))
labels = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1), }", b"\0\1")
nz = "npz"
write(nz, "valid_deflated", npz({"train_images.npy": images, "train_labels.npy": labels}))
write(nz, "valid_stored", npz({"test_images.npy": images, "test_labels.npy": labels}, zipfile.ZIP_STORED))
write(nz, "zero_length", b"")
write(nz, "truncated", npz({"train_images.npy": images})[:-30])
write(nz, "not_a_zip", b"PK\x03\x04garbage")
write(nz, "member_not_npy", npz({"train_images.npy": b"hello"}))
write(nz, "bad_crc", npz({"a.npy": images}, zipfile.ZIP_STORED).replace(bytes(range(18)), bytes(18)))
write(nz, "claims_4gb", zip_claiming(b"train_images.npy", images, 0xFFFFFFF0))


# --- webdataset: tar shards, plain and gzip, grouped by key
def tar(members, fmt=None):
    import tarfile
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt or tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


TINY_JPEG = b"\xff\xd8" + segment(0xC0, b"\x08\0\x01\0\x01\x01\x01\x11\0") + b"\xff\xd9"
wd = "webdataset"
shard = tar([("s/000.jpg", TINY_JPEG), ("s/000.cls", b"1"), ("s/001.png", b"\x89PNG\r\n\x1a\n"),
             ("s/001.json", b'{"label": "fish"}'), ("s/002.seg.png", b"x"), ("s/002.cls", b"2\n")])
write(wd, "valid_cls_and_json", shard)
write(wd, "valid_gz", gzip.compress(shard, mtime=0))
write(wd, "truncated", shard[: len(shard) // 2 + 7])
write(wd, "truncated_gz", gzip.compress(shard, mtime=0)[:-20])
write(wd, "zero_length", b"")
write(wd, "labels_bad", tar([("a.jpg", TINY_JPEG), ("a.cls", b"-4"), ("b.jpg", TINY_JPEG), ("b.cls", b"99999999999999999999"),
                             ("c.jpg", TINY_JPEG), ("c.json", b'{"label": [1, {"x": null}]}'),
                             ("d.jpg", TINY_JPEG), ("d.json", b"[" * 5000 + b"]" * 5000),
                             ("e.jpg", TINY_JPEG), ("e.cls", b"\0\xff1"), ("f.cls", b"0")]))
write(wd, "no_extension_and_hidden", tar([(".hidden.jpg", b"x"), ("noext", b"y"), ("dir/", b""), ("g.JPG", b"z"), ("g.CLS", b"0")]))
write(wd, "long_names_gnu", tar([("k" * 300 + ".jpg", TINY_JPEG), ("k" * 300 + ".cls", b"0")], fmt=__import__("tarfile").GNU_FORMAT))
write(wd, "pax", tar([("p\u00e9.jpg", TINY_JPEG), ("p\u00e9.cls", b"0")], fmt=__import__("tarfile").PAX_FORMAT))
write(wd, "not_a_tar", b"\x1f\x8b\x08\0\0\0\0\0\0\xff" + b"garbage" * 10)
