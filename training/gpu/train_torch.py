#!/usr/bin/env python3
"""Optional GPU recipe for the served `vgg16` network (PyTorch; not used by npm start or npm test).

Why it exists: on the project's 2-core machines `npm run retrain` (TensorFlow.js on wasm)
trains `vgg16` at ~140 img/s, so a run is ~15 epochs in an afternoon and teachers have to be
cached networks. On one GPU the same network trains for 100+ epochs in minutes, which is
what the accuracy targets need. The result is the same architecture with the same layer
names: its weights go into the project's model folder (model.json + weights.bin) and from
there through the project's own ONNX export, int8 gate, calibration and evaluation
(training/gpu/README.md has the commands).

Recipe, fixed before the run (nothing here reads PrivateTest; pack_data.py never packs it):
  1. Teachers: K wide VGGs (64-128-256-512, ~0.94 GFLOP), cross-fitted: teacher k trains on
     the Training folds other than k and predicts fold k, so every Training image gets a
     teacher distribution from a network that never saw it (flip-averaged). Their
     PublicTest ensemble is reported.
  2. Students: four `vgg16` networks trained in lockstep on the *same* augmented batches,
     differing only in their targets, so the difference between them is what each
     teacher adds:
        A  FER2013 label + FER+ votes
        B  A + face-api FaceExpressionNet (cached, npm run teacher:faceapi)
        C  A + the cross-fitted teachers
        D  A + both
  Selection (declared): the epoch (raw or EMA weights) with the best mean of FER2013 and
  FER+ (7-emotion majority) PublicTest accuracy.

Resuming: a run stopped by anything (a lost session, SIGKILL) continues when the same command
is run again with the same --out: the students' whole state (weights, EMA, optimiser, every
random generator, the fitted schedule, the best epoch so far) is in checkpoint.pt after every
epoch, and finished teachers are reused from teacher-probs.bin. The resumed run ends with the
same weights, bit for bit, as one that never stopped (checked on the CPU: training/gpu/README.md).
Different arguments are refused rather than mixed into the same run.

Outputs in --out: summary.json (config, per-epoch PublicTest curves, timings), teacher-probs.bin
(float32 rows x 7, FER order, for the packed rows: out-of-fold on Training, ensemble on
PublicTest), student-<X>.weights.bin (the selected weights in models/emotion/model.json's
weightsManifest order), checkpoint.pt (for resuming), log.txt.
"""
import argparse
import json
import lzma
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

T0 = time.time()
FERPLUS_COL_OF_EMOTION = [4, 5, 6, 1, 3, 2, 0]  # angry disgust fear happy sad surprise neutral
STUDENTS = {
    # name: (label, ferplus, faceapi, teacher) weights
    "A": (0.5, 0.5, 0.0, 0.0),
    "B": (0.4, 0.4, 0.2, 0.0),
    "C": (0.35, 0.35, 0.0, 0.3),
    "D": (0.3, 0.3, 0.15, 0.25),
    # More of face-api (face-trained, reads posed faces): for fine-tuning the served network.
    "E": (0.3, 0.35, 0.35, 0.0),
}
TEACHER_MIX = (0.5, 0.5, 0.0, 0.0)

LOG = None


def log(msg: str) -> None:
    line = f"[{time.time() - T0:7.1f}s] {msg}"
    print(line, flush=True)
    if LOG:
        LOG.write(line + "\n")
        LOG.flush()


# ---------------------------------------------------------------- data


def med_decode(res: np.ndarray) -> np.ndarray:
    """Inverse of pack_data.med_residuals: uint8 residuals [n,48,48] -> pixels."""
    n = res.shape[0]
    r = res.astype(np.int16)
    out = np.zeros((n, 48, 48), np.int16)
    for y in range(48):
        for x in range(48):
            w = out[:, y, x - 1] if x > 0 else np.zeros(n, np.int16)
            nn_ = out[:, y - 1, x] if y > 0 else np.zeros(n, np.int16)
            nw = out[:, y - 1, x - 1] if (x > 0 and y > 0) else np.zeros(n, np.int16)
            hi = np.maximum(w, nn_)
            lo = np.minimum(w, nn_)
            pred = np.where(nw >= hi, lo, np.where(nw <= lo, hi, w + nn_ - nw))
            out[:, y, x] = (pred + r[:, y, x]) % 256
    return out.astype(np.uint8)


def ferplus_majority(votes: np.ndarray) -> np.ndarray:
    """Same rule as training/data/ferplus-labels.ts: unique top over 10 columns, a game emotion."""
    top = votes.max(1)
    shared = (votes == top[:, None]).sum(1) > 1
    col = votes.argmax(1)
    out = np.full(len(votes), -1, np.int64)
    for e, c in enumerate(FERPLUS_COL_OF_EMOTION):
        out[(col == c) & ~shared & (top > 0)] = e
    return out


def not_a_face(votes: np.ndarray) -> np.ndarray:
    nf = votes[:, 9]
    return (nf > 0) & (votes[:, :9].max(1) <= nf)


def ferplus_dist(votes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    v = votes[:, FERPLUS_COL_OF_EMOTION].astype(np.float32)
    s = v.sum(1, keepdims=True)
    onehot = np.eye(7, dtype=np.float32)[labels]
    return np.where(s > 0, v / np.maximum(s, 1), onehot)


# ---------------------------------------------------------------- models


class Vgg(nn.Module):
    """buildVgg of training/model/architectures.ts: Keras BN (eps 1e-3, momentum 0.9)."""

    def __init__(self, widths):
        super().__init__()
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        cin = 1
        for w in widths:
            for _ in range(2):
                conv = nn.Conv2d(cin, w, 3, padding=1, bias=False)
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                self.convs.append(conv)
                self.bns.append(nn.BatchNorm2d(w, eps=1e-3, momentum=0.1))
                cin = w
        self.drop = nn.Dropout(0.4)
        self.fc = nn.Linear(cin, 7)

    def forward(self, x):
        for i, (c, b) in enumerate(zip(self.convs, self.bns)):
            x = F.relu(b(c(x)))
            if i % 2 == 1:
                x = F.max_pool2d(x, 2)
        x = x.mean((2, 3))
        return self.fc(self.drop(x))


def keras_layout(n_convs: int = 8) -> dict:
    """Keras weight name -> (Vgg state_dict key, permutation from the PyTorch to the Keras layout).
    The one mapping both ways: tfjs_weights writes with it, served_probs.load_vgg reads with it."""
    layout = {}
    for i in range(n_convs):
        s, k = i // 2 + 1, i % 2 + 1
        layout[f"s{s}_conv{k}/kernel"] = (f"convs.{i}.weight", (2, 3, 1, 0))  # [out,in,h,w] -> [h,w,in,out]
        layout[f"s{s}_bn{k}/gamma"] = (f"bns.{i}.weight", None)
        layout[f"s{s}_bn{k}/beta"] = (f"bns.{i}.bias", None)
        layout[f"s{s}_bn{k}/moving_mean"] = (f"bns.{i}.running_mean", None)
        layout[f"s{s}_bn{k}/moving_variance"] = (f"bns.{i}.running_var", None)
    layout["probs/kernel"] = ("fc.weight", (1, 0))  # [out,in] -> [in,out]
    layout["probs/bias"] = ("fc.bias", None)
    return layout


def tfjs_weights(model: Vgg, manifest_names) -> bytes:
    """Weights in the order of model.json's weightsManifest (Keras layouts)."""
    layout = keras_layout(len(model.convs))
    missing = [n for n in manifest_names if n not in layout]
    if missing or len(layout) != len(manifest_names):
        raise SystemExit(f"weight names do not match model.json: missing {missing}")
    sd = model.state_dict()
    out = []
    for n in manifest_names:
        key, perm = layout[n]
        w = sd[key].detach()
        out.append((w.permute(*perm) if perm else w).float().cpu().contiguous().numpy().astype("<f4").tobytes())
    return b"".join(out)


class Ema:
    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.model = Vgg([m.out_channels for m in model.convs[::2]]).to(next(model.parameters()).device)
        self.model.load_state_dict(model.state_dict())
        self.model.eval()

        # One fused update per step (torch._foreach_*): per-tensor kernels would cost
        # ~40 launches per model per step, more than the small network's own step.
        src = list(model.state_dict().values())
        dst = list(self.model.state_dict().values())
        self._src_f = [t for t in src if t.dtype.is_floating_point]
        self._dst_f = [t for t in dst if t.dtype.is_floating_point]
        self._src_i = [t for t in src if not t.dtype.is_floating_point]
        self._dst_i = [t for t in dst if not t.dtype.is_floating_point]

        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module):
        # Warm-up of the decay ((1 + n) / (10 + n), as TensorFlow's ExponentialMovingAverage with
        # num_updates): a fixed 0.999 kept a third of the random initial weights after the
        # 1,784 steps of the 8-epoch CPU ablation, and its EMA weights were useless there.
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        torch._foreach_lerp_(self._dst_f, self._src_f, 1 - decay)
        for d, s in zip(self._dst_i, self._src_i):
            d.copy_(s)


# ---------------------------------------------------------------- training pieces


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """x float [B,1,48,48] in [0,1]: affine (±15° rot, ±15% scale, ±10% shift, flip),
    contrast/brightness jitter, random erasing (p 0.5)."""
    b, dev = x.shape[0], x.device
    u = lambda: torch.rand(b, device=dev, generator=g) * 2 - 1  # noqa: E731
    ang = u() * math.radians(15)
    sc = 1 + u() * 0.15
    tx, ty = u() * 0.2, u() * 0.2
    flip = torch.where(torch.rand(b, device=dev, generator=g) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    mean = x.mean((1, 2, 3), keepdim=True)
    x = (x - mean) * (1 + u() * 0.25).view(b, 1, 1, 1) + mean + (u() * 0.1).view(b, 1, 1, 1)
    # Random erasing: a rectangle of 4-25% of the area, aspect 0.5-2.
    area = (0.04 + torch.rand(b, device=dev, generator=g) * 0.21) * 48 * 48
    asp = torch.exp(u() * math.log(2))
    h = (area * asp).sqrt().clamp(4, 40)
    w = (area / asp).sqrt().clamp(4, 40)
    cy = torch.rand(b, device=dev, generator=g) * 48
    cx = torch.rand(b, device=dev, generator=g) * 48
    ys = torch.arange(48, device=dev).view(1, 48, 1)
    xs = torch.arange(48, device=dev).view(1, 1, 48)
    m = ((ys - cy.view(b, 1, 1)).abs() < h.view(b, 1, 1) / 2) & ((xs - cx.view(b, 1, 1)).abs() < w.view(b, 1, 1) / 2)
    m = m & (torch.rand(b, device=dev, generator=g) < 0.5).view(b, 1, 1)
    fill = torch.rand(b, 1, 1, device=dev, generator=g)
    x = torch.where(m.unsqueeze(1), fill.unsqueeze(1), x)
    return x.clamp(0, 1)


def soft_ce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return -(target * F.log_softmax(logits.float(), 1)).sum(1).mean()


def make_opt(model: nn.Module, lr: float, wd: float):
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim == 1 else decay).append(p)
    return torch.optim.SGD(
        [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0}],
        lr=lr,
        momentum=0.9,
        nesterov=True,
    )


def lr_at(progress: float, peak: float, warm: float) -> float:
    if progress < warm:
        return peak * progress / warm
    p = (progress - warm) / max(1e-9, 1 - warm)
    return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))


@torch.no_grad()
def predict(model: nn.Module, x_u8: torch.Tensor, amp, bs=2048) -> torch.Tensor:
    """Flip-averaged softmax over uint8 [n,48,48] (fp32 when amp is None)."""
    model.eval()
    out = []
    for i in range(0, len(x_u8), bs):
        x = x_u8[i : i + bs].float().div_(255).unsqueeze(1).contiguous(memory_format=torch.channels_last)
        with amp():
            p = F.softmax(model(x).float(), 1) + F.softmax(model(torch.flip(x, [3])).float(), 1)
        out.append(p / 2)
    return torch.cat(out)


@torch.no_grad()
def plain_probs(model: nn.Module, x_u8: torch.Tensor, bs=2048) -> torch.Tensor:
    """What the server computes: one fp32 pass, no flip."""
    model.eval()
    out = []
    for i in range(0, len(x_u8), bs):
        x = x_u8[i : i + bs].float().div_(255).unsqueeze(1).contiguous(memory_format=torch.channels_last)
        out.append(F.softmax(model(x).float(), 1))
    return torch.cat(out)


def accuracies(p: torch.Tensor, fer: torch.Tensor, fp: torch.Tensor):
    pred = p.argmax(1)
    fer_acc = (pred == fer).float().mean().item()
    ok = fp >= 0
    fp_acc = (pred[ok] == fp[ok]).float().mean().item()
    return fer_acc, fp_acc


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=".gpu-data")
    ap.add_argument("--model-json", default="models/emotion/model.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--teacher-widths", default="64,128,256,512")
    ap.add_argument("--teacher-budget-s", type=float, default=170)
    ap.add_argument("--teacher-max-epochs", type=int, default=60)
    ap.add_argument("--student-budget-s", type=float, default=230)
    ap.add_argument("--student-max-epochs", type=int, default=300)
    ap.add_argument("--students", default="A,B,C,D")
    ap.add_argument(
        "--teacher-probs",
        help="float32 rows x 7 (FER order) for the packed rows, used as the teacher instead of training "
        "cross-fitted ones (e.g. the served model's flip-averaged output: served_probs.py)",
    )
    ap.add_argument(
        "--init-from",
        help="a project model folder (model.json + weights.bin) whose vgg16 weights every student starts "
        "from: fine-tuning the served network instead of training from scratch (use a lower --lr)",
    )
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--limit", type=int, default=0, help="first N Training rows only (smoke tests)")
    ap.add_argument("--seed", type=int, default=20261130)
    a = ap.parse_args()

    global LOG
    os.makedirs(a.out, exist_ok=True)
    LOG = open(os.path.join(a.out, "log.txt"), "a")
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        amp = lambda: torch.autocast("cuda", dtype=torch.bfloat16)  # noqa: E731
        log(f"device {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    else:
        import contextlib

        amp = contextlib.nullcontext
        log(f"device cpu, torch {torch.__version__} (smoke-test speed only)")
    torch.manual_seed(a.seed)
    g = torch.Generator(device=dev)
    g.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    manifest = json.load(open(a.model_json))["weightsManifest"]
    if len(manifest) != 1 or manifest[0]["paths"] != ["weights.bin"]:
        raise SystemExit(f"{a.model_json}: expected one weights.bin group")
    names = [w["name"] for w in manifest[0]["weights"]]

    meta = np.load(os.path.join(a.data, "meta.npz"))
    res = np.frombuffer(lzma.decompress(open(os.path.join(a.data, "pixels.med.xz"), "rb").read()), np.uint8)
    pixels = med_decode(res.reshape(-1, 48, 48))
    labels, usage, votes, faceapi = meta["label"].astype(np.int64), meta["usage"], meta["votes"], meta["faceapi"]
    if len(pixels) != len(labels) or (usage > 1).any():
        raise SystemExit("data: row counts differ or a row is not Training/PublicTest")
    log(f"data: {len(labels)} rows decoded")

    tr = np.nonzero((usage == 0) & ~not_a_face(votes))[0]
    if a.limit:
        tr = tr[: a.limit]
    pub = np.nonzero(usage == 1)[0]
    log(f"Training rows used {len(tr)} (not-a-face dropped), PublicTest {len(pub)}")
    fpd = ferplus_dist(votes, labels)
    onehot = np.eye(7, dtype=np.float32)[labels]

    X = torch.from_numpy(pixels).to(dev)
    x_pub = X[pub]
    y_pub = torch.from_numpy(labels[pub]).to(dev)
    fp_pub = torch.from_numpy(ferplus_majority(votes[pub])).to(dev)
    summary = {
        "recipe": "training/gpu/train_torch.py",
        "args": vars(a),
        "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "studentsMix": {k: dict(zip(["label", "ferplus", "faceapi", "teacher"], v)) for k, v in STUDENTS.items()},
        "teacherMix": dict(zip(["label", "ferplus", "faceapi", "teacher"], TEACHER_MIX)),
        "selection": "max over epochs and raw/EMA weights of mean(FER2013 PublicTest acc, FER+ PublicTest majority acc)",
        "trainRows": int(len(tr)),
    }

    # Resuming (the run folder already holds this run's checkpoint or teacher output): only with
    # the same arguments, or the curves and the selection would mix two different runs.
    ckpt_path = os.path.join(a.out, "checkpoint.pt")
    summary_path = os.path.join(a.out, "summary.json")
    previous = json.load(open(summary_path)) if os.path.exists(summary_path) else None
    if previous is not None:
        mine = {k: v for k, v in vars(a).items() if k != "out"}
        theirs = {k: v for k, v in previous.get("args", {}).items() if k != "out"}
        differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        if differ:
            raise SystemExit(
                f"{a.out} holds a run made with other arguments (these differ: {', '.join(differ)}): "
                "give the same arguments to resume it, or a new --out"
            )
        for key in ("teachers", "init"):
            if key in previous:
                summary[key] = previous[key]

    def save_summary():
        summary["elapsedS"] = round(time.time() - T0, 1)
        with open(summary_path, "w") as f:
            json.dump(summary, f, indent=1)

    def mix(weights, teacher=None):
        wl, wf, wa, wt = weights
        t = wl * onehot + wf * fpd + wa * faceapi
        if wt:
            t = t + wt * teacher
        return t / (wl + wf + wa + wt)

    def train_lockstep(models, row_sets, targets, budget, max_epochs, tag, on_epoch=None, checkpoint=None):
        """Train several models one step each per iteration. row_sets[i]: Training row ids of model i
        (None = shared batch with model 0); targets[i]: [nrows,7] tensor over all rows.
        checkpoint: (path, get_extra, set_extra): after every epoch the whole state (weights, EMA,
        optimiser, every random generator, the schedule, get_extra()) goes to path, and a run that
        finds it there continues after that epoch as if it had not stopped."""
        opts = [make_opt(m, a.lr, a.wd) for m in models]
        emas = [Ema(m, 0.999) for m in models]
        steps_per_epoch = max(1, min(len(r) for r in row_sets if r is not None) // a.batch)
        total_epochs = max_epochs
        t_start = time.time()
        step = 0
        first = 0
        if checkpoint and os.path.exists(checkpoint[0]):
            ck = torch.load(checkpoint[0], map_location=dev, weights_only=False)
            if ck["tag"] != tag or len(ck["models"]) != len(models):
                raise SystemExit(f"{checkpoint[0]}: a checkpoint of another phase ({ck['tag']})")
            for m, st in zip(models, ck["models"]):
                m.load_state_dict(st)
            for e, st in zip(emas, ck["emas"]):
                e.model.load_state_dict(st["model"])  # in place: the EMA's fused lists stay valid
                e.updates = st["updates"]
            for o, st in zip(opts, ck["opts"]):
                o.load_state_dict(st)
            # Generator states are CPU byte tensors, whatever map_location moved them to.
            rng.bit_generator.state = ck["numpyRng"]
            g.set_state(ck["augmentRng"].cpu())
            torch.set_rng_state(ck["torchRng"].cpu())
            if dev.type == "cuda":
                torch.cuda.set_rng_state(ck["cudaRng"].cpu())
            total_epochs, step, first = ck["totalEpochs"], ck["step"], ck["epoch"] + 1
            checkpoint[2](ck["extra"])
            log(f"{tag}: resumed from {checkpoint[0]} after epoch {first} of {total_epochs}")
        for ep in range(first, max_epochs):
            if ep >= total_epochs:
                break
            perms = [torch.from_numpy(rng.permutation(r)).to(dev) if r is not None else None for r in row_sets]
            for m in models:
                m.train()
            for s in range(steps_per_epoch):
                progress = step / (steps_per_epoch * total_epochs)
                lr = lr_at(progress, a.lr, 1.5 / total_epochs if total_epochs > 1 else 0.0)
                shared = None
                for i, m in enumerate(models):
                    if perms[i] is not None:
                        idx = perms[i][s * a.batch : (s + 1) * a.batch]
                        xb = augment(X[idx].float().div_(255).unsqueeze(1), g).contiguous(memory_format=torch.channels_last)
                        shared = (idx, xb)
                    idx, xb = shared
                    for grp in opts[i].param_groups:
                        grp["lr"] = lr
                    with amp():
                        logits = m(xb)
                    loss = soft_ce(logits, targets[i][idx])
                    opts[i].zero_grad(set_to_none=True)
                    loss.backward()
                    opts[i].step()
                    emas[i].update(m)
                step += 1
            if ep == 0:
                t1 = time.time() - t_start
                # +8% for the per-epoch evaluation; the schedule is fixed from here on.
                total_epochs = int(max(3, min(max_epochs, budget / (t1 * 1.08))))
                step = steps_per_epoch  # progress continues from the end of epoch 1
                log(f"{tag}: epoch 1 took {t1:.1f}s -> {total_epochs} epochs")
                summary.setdefault("epochSeconds", {})[tag] = round(t1, 2)
            if on_epoch:
                on_epoch(ep, total_epochs, models, emas)
            if checkpoint:
                state = {
                    "tag": tag,
                    "epoch": ep,
                    "totalEpochs": total_epochs,
                    "step": step,
                    "models": [m.state_dict() for m in models],
                    "emas": [{"model": e.model.state_dict(), "updates": e.updates} for e in emas],
                    "opts": [o.state_dict() for o in opts],
                    "numpyRng": rng.bit_generator.state,
                    "augmentRng": g.get_state(),
                    "torchRng": torch.get_rng_state(),
                    "cudaRng": torch.cuda.get_rng_state() if dev.type == "cuda" else None,
                    "extra": checkpoint[1](),
                }
                # Written beside, then renamed: a run killed mid-write keeps the previous epoch's.
                torch.save(state, checkpoint[0] + ".tmp")
                os.replace(checkpoint[0] + ".tmp", checkpoint[0])
        return models, emas, total_epochs

    # ------------------------------------------------ phase 1: cross-fitted teachers
    teacher_probs = np.zeros((len(labels), 7), np.float32)
    if a.teacher_probs:
        teacher_probs = np.fromfile(a.teacher_probs, dtype="<f4")
        if teacher_probs.size != len(labels) * 7:
            raise SystemExit(f"{a.teacher_probs}: {teacher_probs.size} floats, expected {len(labels)} x 7")
        teacher_probs = teacher_probs.reshape(-1, 7)
        fer_acc, fp_acc = accuracies(torch.from_numpy(teacher_probs[pub]).to(dev), y_pub, fp_pub)
        summary["teachers"] = {"file": a.teacher_probs, "publicFer": fer_acc, "publicFerplus": fp_acc}
        log(f"teacher from {a.teacher_probs}: PublicTest FER {fer_acc:.4f} FER+ {fp_acc:.4f}")
    elif "teachers" in summary and os.path.exists(os.path.join(a.out, "teacher-probs.bin")):
        # A resumed run: its teachers finished before it stopped.
        teacher_probs = np.fromfile(os.path.join(a.out, "teacher-probs.bin"), dtype="<f4").reshape(-1, 7)
        log(f"teachers: reusing {a.out}/teacher-probs.bin of this run")
    elif any(STUDENTS[s][3] > 0 for s in a.students.split(",")):
        widths = [int(v) for v in a.teacher_widths.split(",")]
        folds = np.array_split(rng.permutation(tr), a.folds)
        teachers = [Vgg(widths).to(dev).to(memory_format=torch.channels_last) for _ in range(a.folds)]
        tmix = torch.from_numpy(mix(TEACHER_MIX)).to(dev)
        row_sets = [np.concatenate([f for j, f in enumerate(folds) if j != k]) for k in range(a.folds)]
        teachers, temas, te = train_lockstep(
            teachers, row_sets, [tmix] * a.folds, a.teacher_budget_s, a.teacher_max_epochs, "teachers"
        )
        pub_sum = torch.zeros(len(pub), 7, device=dev)
        tstats = []
        for k in range(a.folds):
            # Raw or EMA weights, whichever scores better on PublicTest (selection, not training).
            cands = []
            for kind, net in (("raw", teachers[k]), ("ema", temas[k].model)):
                pp = predict(net, x_pub, amp)
                fer_acc, fp_acc = accuracies(pp, y_pub, fp_pub)
                cands.append(((fer_acc + fp_acc) / 2, kind, net, pp, fer_acc, fp_acc))
            _, kind, net, pp, fer_acc, fp_acc = max(cands, key=lambda c: c[0])
            po = predict(net, X[folds[k]], amp)
            teacher_probs[folds[k]] = po.cpu().numpy()
            pub_sum += pp
            oof_fer = (po.argmax(1).cpu().numpy() == labels[folds[k]]).mean()
            tstats.append(
                {"fold": k, "weights": kind, "publicFer": fer_acc, "publicFerplus": fp_acc, "outOfFoldFer": float(oof_fer)}
            )
            log(f"teacher {k} ({kind}): PublicTest FER {fer_acc:.4f} FER+ {fp_acc:.4f}; out-of-fold FER {oof_fer:.4f}")
        teacher_probs[pub] = (pub_sum / a.folds).cpu().numpy()
        fer_acc, fp_acc = accuracies(pub_sum, y_pub, fp_pub)
        oof = teacher_probs[tr].argmax(1)
        oof_fp = ferplus_majority(votes[tr])
        summary["teachers"] = {
            "widths": widths,
            "epochs": te,
            "folds": tstats,
            "publicEnsembleFer": fer_acc,
            "publicEnsembleFerplus": fp_acc,
            "outOfFoldFer": float((oof == labels[tr]).mean()),
            "outOfFoldFerplus": float((oof[oof_fp >= 0] == oof_fp[oof_fp >= 0]).mean()),
        }
        log(f"teacher ensemble: PublicTest FER {fer_acc:.4f} FER+ {fp_acc:.4f}")
        teacher_probs.astype("<f4").tofile(os.path.join(a.out, "teacher-probs.bin"))
        del teachers, temas
        save_summary()

    # ------------------------------------------------ phase 2: students in lockstep
    names_s = a.students.split(",")
    students = [Vgg([16, 32, 64, 128]).to(dev).to(memory_format=torch.channels_last) for _ in names_s]
    # On resume the checkpoint's weights replace these, and summary["init"] came back with the
    # previous summary: loading and scoring the folder again would be wasted.
    if a.init_from and not os.path.exists(ckpt_path):
        from served_probs import load_vgg  # served_probs imports this module: import here, not at the top

        init = load_vgg(a.init_from).to(dev)
        for st in students:
            st.load_state_dict(init.state_dict())
        fer_acc, fp_acc = accuracies(plain_probs(init, x_pub), y_pub, fp_pub)
        summary["init"] = {"folder": a.init_from, "publicFer": fer_acc, "publicFerplus": fp_acc}
        log(f"students start from {a.init_from}: PublicTest FER {fer_acc:.4f} FER+ {fp_acc:.4f} (served path)")
        del init
    targets = [torch.from_numpy(mix(STUDENTS[n], teacher_probs)).to(dev) for n in names_s]
    best = {n: {"score": -1.0} for n in names_s}
    curves = {n: [] for n in names_s}
    summary["students"] = best
    summary["curves"] = curves
    # On disk before the first checkpoint: a run killed before its first summary would otherwise
    # be resumed without its arguments checked or its starting point recorded.
    save_summary()

    def on_epoch(ep, total, models, emas):
        for n, m, e in zip(names_s, models, emas):
            row = {"epoch": ep + 1}
            for kind, net in (("raw", m), ("ema", e.model)):
                fer_acc, fp_acc = accuracies(plain_probs(net, x_pub), y_pub, fp_pub)
                score = (fer_acc + fp_acc) / 2
                row[kind] = [round(fer_acc, 4), round(fp_acc, 4)]
                if score > best[n]["score"]:
                    best[n].update(
                        score=score, epoch=ep + 1, weights=kind, publicFer=fer_acc, publicFerplus=fp_acc
                    )
                    best[n]["_state"] = {k: v.detach().clone() for k, v in net.state_dict().items()}
            curves[n].append(row)
        if (ep + 1) % 5 == 0 or ep + 1 == total:
            log(
                f"students epoch {ep + 1}/{total}: "
                + " ".join(f"{n} {curves[n][-1]['ema'][0]:.3f}/{curves[n][-1]['ema'][1]:.3f}" for n in names_s)
            )
            write_students()

    def write_students():
        probe = Vgg([16, 32, 64, 128]).to(dev)
        for n in names_s:
            st = best[n].get("_state")
            if st is None:
                continue
            probe.load_state_dict(st)
            with open(os.path.join(a.out, f"student-{n}.weights.bin"), "wb") as f:
                f.write(tfjs_weights(probe, names))
        summary["students"] = {n: {k: v for k, v in b.items() if k != "_state"} for n, b in best.items()}
        save_summary()

    def restore(extra):
        for n in names_s:
            best[n].clear()
            best[n].update(extra["best"][n])
            curves[n][:] = extra["curves"][n]
        if extra.get("epochSeconds"):
            summary["epochSeconds"] = extra["epochSeconds"]

    _, _, se = train_lockstep(
        students,
        [tr] + [None] * (len(names_s) - 1),
        targets,
        a.student_budget_s,
        a.student_max_epochs,
        "students",
        on_epoch,
        (ckpt_path, lambda: {"best": best, "curves": curves, "epochSeconds": summary.get("epochSeconds")}, restore),
    )
    summary["studentEpochs"] = se
    write_students()
    for n in names_s:
        b = summary["students"][n]
        log(f"student {n}: best epoch {b['epoch']} ({b['weights']}) PublicTest FER {b['publicFer']:.4f} FER+ {b['publicFerplus']:.4f}")
    log("done")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        import traceback

        log(traceback.format_exc())
        sys.exit(1)
