/**
 * The part of a model folder's metrics.json that the manifest repeats, so that a model can be
 * compared with the others without downloading it. Pure; tolerant of older metrics.json files
 * (any field may be missing) because the history spans several versions of the format.
 */
import type { ModelMetricsSummary } from './manifest.ts';

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Rounded so the manifest shows what the tables show (4 decimals = 0.01 point), not float noise. */
function acc(v: unknown): number | undefined {
  const n = num(v);
  return n === undefined ? undefined : Math.round(n * 1e4) / 1e4;
}

type Usages = { PublicTest?: number; PrivateTest?: number };

function usages(pick: (usage: 'PublicTest' | 'PrivateTest') => unknown): Usages | undefined {
  const out: Usages = {};
  const pub = acc(pick('PublicTest'));
  const priv = acc(pick('PrivateTest'));
  if (pub !== undefined) out.PublicTest = pub;
  if (priv !== undefined) out.PrivateTest = priv;
  return Object.keys(out).length > 0 ? out : undefined;
}

export function summariseMetrics(metricsJson: unknown): ModelMetricsSummary {
  const m = obj(metricsJson) ?? {};
  const evaluation = obj(m.evaluation) ?? {};
  const out: ModelMetricsSummary = {};
  const params = num(m.params);
  const flops = num(m.flopsPerImage);
  const epochs = num(m.epochs);
  if (params !== undefined) out.params = params;
  if (flops !== undefined) out.flopsPerImage = flops;
  if (epochs !== undefined) out.epochs = epochs;
  const plain = usages((u) => obj(obj(evaluation[u])?.plain)?.accuracy);
  const flip = usages((u) => obj(obj(evaluation[u])?.flipTta)?.accuracy);
  if (plain) out.fer2013 = plain;
  if (flip) out.fer2013FlipTta = flip;
  const asServed = obj(m.asServed);
  if (asServed) {
    const byLabels: Record<string, Usages> = {};
    for (const [labels, v] of Object.entries(asServed)) {
      const u = usages((usage) => obj(obj(v)?.[usage])?.accuracy);
      if (u) byLabels[labels] = u;
    }
    if (Object.keys(byLabels).length > 0) out.asServed = byLabels;
  }
  return out;
}

/** "models/vgg16-pt-kd1" or "/abs/models/vgg16-pt-kd1/" → "vgg16-pt-kd1"; absent → null. */
function folderName(v: unknown): string | null {
  if (typeof v !== 'string' || v.trim() === '') return null;
  const parts = v.split(/[\\/]+/).filter((p) => p !== '');
  return parts.at(-1) ?? null;
}

/** The warm-start parent, the teacher and the architecture a training run recorded. */
export function lineage(metricsJson: unknown): { parent: string | null; teacher: string | null; architecture: string } {
  const m = obj(metricsJson) ?? {};
  const training = obj(m.training) ?? {};
  const architecture = typeof m.architecture === 'string' ? m.architecture : 'unknown';
  return { parent: folderName(training.initFrom), teacher: folderName(training.teacher), architecture };
}
