/**
 * A short name for the served model, stored with each donated crop so an operator can tell
 * which model's opinion the probabilities are: folder name, architecture and a hash of its
 * metrics.json (a retrain publishing into the same folder gets a new hash).
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { ModelInfo } from '../ml/engine/model-host.ts';

const cache = new WeakMap<ModelInfo, string>();

export function modelVersion(info: ModelInfo | null): string {
  if (!info) return 'unknown';
  let v = cache.get(info);
  if (v === undefined) {
    const hash = createHash('sha256')
      .update(JSON.stringify(info.metrics ?? null))
      .digest('hex')
      .slice(0, 10);
    v = `${basename(info.dir)}/${info.architecture}@${hash}`;
    cache.set(info, v);
  }
  return v;
}
