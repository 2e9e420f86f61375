/**
 * Summary of the meter on labelled photos (scripts/faces-meter.ts), per emotion: the
 * meter of the photo's own emotion before (the network's probability) and after (as
 * served: temperature and meter map), and how often the top class is that emotion. Pure.
 */
import { EMOTIONS, type Emotion, emotionId } from '../../shared/emotions.ts';
import type { PhotoRow } from './card-section.ts';
import { median } from './fit-calibration.ts';

export interface PhotoScore {
  emotion: Emotion;
  /** False when the face detector found no face (the photo is counted, not scored). */
  detected: boolean;
  /** The network's 7 probabilities. */
  raw?: ArrayLike<number>;
  /** The served (temperature-scaled) distribution. */
  served?: ArrayLike<number>;
  /** The served meter for the photo's emotion. */
  meter?: number;
}

const top = (p: ArrayLike<number>) => {
  let best = 0;
  for (let c = 1; c < p.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
  return best;
};
const maxOf = (v: number[]) => (v.length === 0 ? null : Math.max(...v));

export function summarisePhotos(scores: readonly PhotoScore[]): Partial<Record<Emotion, PhotoRow>> {
  const out: Partial<Record<Emotion, PhotoRow>> = {};
  for (const e of EMOTIONS) {
    const mine = scores.filter((s) => s.emotion === e);
    if (mine.length === 0) continue;
    const id = emotionId(e);
    const found = mine.filter((s) => s.detected && s.raw && s.served && s.meter !== undefined);
    const before = found.map((s) => (s.raw as ArrayLike<number>)[id] as number);
    const after = found.map((s) => s.meter as number);
    out[e] = {
      photos: mine.length,
      detected: found.length,
      medianBefore: median(before),
      medianAfter: median(after),
      maxBefore: maxOf(before),
      maxAfter: maxOf(after),
      topClass: found.filter((s) => top(s.served as ArrayLike<number>) === id).length,
    };
  }
  return out;
}
