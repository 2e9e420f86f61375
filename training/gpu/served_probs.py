#!/usr/bin/env python3
"""Flip-averaged probabilities of a project model folder (vgg16 model.json + weights.bin) for the
rows pack_data.py packed: the "own teacher" of `npm run retrain --teacher`, for train_torch.py
--teacher-probs. Raw network output (no calibration), as the tfjs trainer's teacher uses it.

    python3 training/gpu/served_probs.py --model models/emotion --data .gpu-data --out teacher.bin
"""
import argparse
import json
import lzma
import os

import numpy as np
import torch

from train_torch import Vgg, keras_layout, med_decode, predict


def load_vgg(folder: str) -> Vgg:
    mj = json.load(open(os.path.join(folder, "model.json")))
    group = mj["weightsManifest"][0]
    buf = np.fromfile(os.path.join(folder, "weights.bin"), "<f4")
    t, off = {}, 0
    for w in group["weights"]:
        k = int(np.prod(w["shape"]))
        t[w["name"]] = torch.from_numpy(buf[off : off + k].reshape(w["shape"]).copy())
        off += k
    if off != buf.size:
        raise SystemExit(f"{folder}/weights.bin: {buf.size} floats, manifest names {off}")
    widths = [t[f"s{s}_conv1/kernel"].shape[3] for s in range(1, 5)]
    m = Vgg(widths)
    sd = m.state_dict()
    for name, (key, perm) in keras_layout(len(m.convs)).items():
        sd[key] = t[name].permute(*np.argsort(perm).tolist()) if perm else t[name]
    m.load_state_dict(sd)
    return m.eval()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default=".gpu-data")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    m = load_vgg(a.model)
    res = np.frombuffer(lzma.decompress(open(os.path.join(a.data, "pixels.med.xz"), "rb").read()), np.uint8)
    x = torch.from_numpy(med_decode(res.reshape(-1, 48, 48)))
    import contextlib

    p = predict(m, x, contextlib.nullcontext).numpy().astype("<f4")
    p.tofile(a.out)
    lab = np.load(os.path.join(a.data, "meta.npz"))["label"]
    use = np.load(os.path.join(a.data, "meta.npz"))["usage"]
    pub = use == 1
    print(f"wrote {a.out}: {len(p)} rows; PublicTest FER accuracy {(p[pub].argmax(1) == lab[pub]).mean():.4f}")


if __name__ == "__main__":
    main()
