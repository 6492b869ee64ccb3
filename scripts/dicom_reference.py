#!/usr/bin/env python3
"""pydicom's reading of DICOM files, for softvit's reference test (tests/data/test_dicom_reference.cpp).

    python3 scripts/dicom_reference.py OUT_DIR NAME_OR_PATH...

A NAME is a file of pydicom's own test files (pydicom/data/test_files, shipped in the wheel), a
PATH any DICOM file. For each file's first frame it writes, as raw little-endian float64 arrays:
  NAME.stored.f64    pixel_array(as_rgb=False): stored values (YBR stays YBR)
  NAME.rgb.f64       pixel_array(): YBR_FULL / YBR_FULL_422 converted to RGB (colour files)
  NAME.rescaled.f64  apply_modality_lut (grey files)
  NAME.voi.f64       apply_voi_lut of the rescaled values, scaled to [0, 1] by the output range
                     pydicom's windowing uses (grey files with a window or VOI LUT)
  NAME.fixed.f64     apply_windowing with the fixed window in the manifest, scaled the same way
and manifest.json with each file's header fields and those file names. Needs pydicom 3 with numpy
and, for compressed syntaxes, pylibjpeg with its libjpeg, openjpeg and rle plugins.
"""
import copy
import json
import os
import sys

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut, apply_voi_lut, apply_windowing, pixel_array


def output_range(ds):
    """The (y_min, y_max) that pydicom's apply_windowing maps a window onto."""
    bits = int(ds.BitsStored)
    if ds.get("ModalityLUTSequence"):
        lo, hi = 0.0, 2.0 ** ds.ModalityLUTSequence[0].LUTDescriptor[2] - 1
    elif int(ds.PixelRepresentation) == 0:
        lo, hi = 0.0, 2.0**bits - 1
    else:
        lo, hi = -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1
    if ds.get("RescaleSlope", None) is not None and ds.get("RescaleIntercept", None) is not None:
        lo = lo * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        hi = hi * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    return lo, hi


def save(out_dir, name, kind, array):
    file = f"{name}.{kind}.f64"
    np.ascontiguousarray(array, dtype="<f8").tofile(os.path.join(out_dir, file))
    return file


def numbers(ds, keyword):
    if keyword not in ds or ds[keyword].value is None:
        return []
    value = ds[keyword].value
    return [float(v) for v in (value if ds[keyword].VM > 1 else [value])]


def describe(path, out_dir):
    name = os.path.splitext(os.path.basename(path))[0]
    ds = pydicom.dcmread(path)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    index = 0 if frames > 1 else None
    stored = pixel_array(path, index=index, as_rgb=False)
    photometric = str(ds.PhotometricInterpretation)
    entry = {
        "name": name,
        "path": os.path.abspath(path),
        "modality": str(ds.get("Modality", "")),
        "photometric": photometric,
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "rows": int(ds.Rows),
        "cols": int(ds.Columns),
        "frames": frames,
        "samples": int(ds.SamplesPerPixel),
        "bits_allocated": int(ds.BitsAllocated),
        "bits_stored": int(ds.BitsStored),
        "signed": int(ds.PixelRepresentation) == 1,
        "rescale_slope": float(ds.get("RescaleSlope", 1) or 1),
        "rescale_intercept": float(ds.get("RescaleIntercept", 0) or 0),
        "window_centers": numbers(ds, "WindowCenter"),
        "window_widths": numbers(ds, "WindowWidth"),
        "has_voi_lut": bool(ds.get("VOILUTSequence")),
        "stored": save(out_dir, name, "stored", stored),
    }
    if int(ds.SamplesPerPixel) == 3:
        entry["rgb"] = save(out_dir, name, "rgb", pixel_array(path, index=index))
        return entry
    rescaled = apply_modality_lut(stored, ds).astype(np.float64)
    entry["rescaled"] = save(out_dir, name, "rescaled", rescaled)
    if entry["has_voi_lut"]:
        lut_bits = int(ds.VOILUTSequence[0].LUTDescriptor[2])
        voi = apply_voi_lut(rescaled.astype(np.int64), ds, prefer_lut=True) / (2.0**lut_bits - 1)
        entry["voi"] = save(out_dir, name, "voi", voi)
    elif entry["window_centers"] and entry["window_widths"]:
        lo, hi = output_range(ds)
        voi = (apply_voi_lut(rescaled, copy.deepcopy(ds)) - lo) / (hi - lo)
        entry["voi"] = save(out_dir, name, "voi", voi)
    # A fixed window over the middle half of the values, as data.dicom.window {center, width} gives.
    vmin, vmax = float(rescaled.min()), float(rescaled.max())
    fixed = copy.deepcopy(ds)
    for keyword in ("VOILUTSequence", "VOILUTFunction"):
        if keyword in fixed:
            delattr(fixed, keyword)
    fixed.WindowCenter = round((vmin + vmax) / 2)
    fixed.WindowWidth = max(1, round((vmax - vmin) / 2))
    lo, hi = output_range(fixed)
    entry["fixed_center"], entry["fixed_width"] = float(fixed.WindowCenter), float(fixed.WindowWidth)
    entry["fixed"] = save(out_dir, name, "fixed", (apply_windowing(rescaled, fixed) - lo) / (hi - lo))
    return entry


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    entries, missing = [], []
    for item in sys.argv[2:]:
        path = item if os.path.sep in item else get_testdata_file(item)
        if not path or not os.path.exists(path):
            missing.append(item)
            continue
        try:
            entries.append(describe(path, out_dir))
        except Exception as e:  # a plugin missing for one syntax: said in the manifest
            entries.append({"name": os.path.splitext(os.path.basename(path))[0], "path": path, "error": repr(e)})
    manifest = {"pydicom": pydicom.__version__, "numpy": np.__version__, "files": entries, "missing": missing}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
