#!/usr/bin/env python3
"""Pack FER2013 Training + PublicTest (never PrivateTest) for train_torch.py.

    python3 training/gpu/pack_data.py --fer ../shared/data/fer2013.csv.gz \
        --ferplus ../shared/data/fer2013new.csv \
        --faceapi runs/ferplus-kd/faceapi-probs.bin --out .gpu-data

Writes
  pixels.med.xz  the 48x48 uint8 images, residuals of the LOCO-I/MED predictor
                 (the JPEG-LS one), then xz: 12% smaller than xz on raw pixels,
                 which is what lets the set travel to a machine with a 64 MiB
                 transfer limit.
  meta.npz       label, usage (0 Training, 1 PublicTest), FER+ votes (10 columns),
                 face-api teacher probabilities (FER order), and the source row index.

PrivateTest rows are not written at all, so nothing downstream can select on them.
"""
import argparse
import csv
import gzip
import lzma
import os
import sys

import numpy as np

USAGE = {"Training": 0, "PublicTest": 1}


def med_residuals(img: np.ndarray) -> np.ndarray:
    """uint8 [n,48,48] -> uint8 residuals of the MED predictor (mod 256)."""
    d = img.astype(np.int16)
    w = np.zeros_like(d)
    w[:, :, 1:] = d[:, :, :-1]
    n = np.zeros_like(d)
    n[:, 1:, :] = d[:, :-1, :]
    nw = np.zeros_like(d)
    nw[:, 1:, 1:] = d[:, :-1, :-1]
    hi = np.maximum(w, n)
    lo = np.minimum(w, n)
    pred = np.where(nw >= hi, lo, np.where(nw <= lo, hi, w + n - nw))
    return ((d - pred) % 256).astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fer", required=True)
    ap.add_argument("--ferplus", required=True)
    ap.add_argument("--faceapi", required=True, help="float32 rows x 7 (npm run teacher:faceapi)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    pixels, labels, usage, src = [], [], [], []
    with gzip.open(a.fer, "rt") as f:
        r = csv.reader(f)
        header = next(r)
        if header[:3] != ["emotion", "pixels", "Usage"]:
            sys.exit(f"{a.fer}: expected header emotion,pixels,Usage, got {header}")
        for i, row in enumerate(r):
            if row[2] not in USAGE:
                continue
            p = np.array(row[1].split(), dtype=np.uint8)
            if p.size != 2304:
                sys.exit(f"{a.fer}: row {i + 2} has {p.size} pixels, expected 2304")
            pixels.append(p)
            labels.append(int(row[0]))
            usage.append(USAGE[row[2]])
            src.append(i)
    total_rows = i + 1
    src_idx = np.array(src, np.int32)

    votes = np.zeros((total_rows, 10), np.uint8)
    with open(a.ferplus, newline="") as f:
        r = csv.reader(f)
        next(r)
        for i, row in enumerate(r):
            votes[i] = [int(v) for v in row[2:12]]
    faceapi = np.fromfile(a.faceapi, dtype="<f4")
    if faceapi.size != total_rows * 7:
        sys.exit(f"{a.faceapi}: {faceapi.size} floats, expected {total_rows} x 7")
    faceapi = faceapi.reshape(total_rows, 7)

    os.makedirs(a.out, exist_ok=True)
    img = np.stack(pixels).reshape(-1, 48, 48)
    with open(os.path.join(a.out, "pixels.med.xz"), "wb") as f:
        f.write(lzma.compress(med_residuals(img).tobytes(), preset=9 | lzma.PRESET_EXTREME))
    np.savez(
        os.path.join(a.out, "meta.npz"),
        label=np.array(labels, np.uint8),
        usage=np.array(usage, np.uint8),
        votes=votes[src_idx],
        faceapi=faceapi[src_idx].astype(np.float32),
        src=src_idx,
        total_rows=np.array([total_rows]),
    )
    print(f"packed {len(labels)} rows ({sum(1 for u in usage if u == 0)} Training) into {a.out}")


if __name__ == "__main__":
    main()
