/**
 * The "Meter calibration" section of a model folder's MODEL_CARD.md, rendered from its
 * calibration.json (version 2) and metrics.json (the photo measurement of
 * scripts/faces-meter.ts, when recorded). The rest of the card is rendered by the
 * retrain tools; this module only replaces its own section, so re-running either keeps
 * the other's part.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALIBRATION_FILE, type Calibration, readCalibration } from '../../server/ml/engine/calibration.ts';
import { EMOTION_INFO, EMOTIONS, type Emotion } from '../../shared/emotions.ts';

export const SECTION_HEADING = '## Meter calibration';

/** Per emotion, what scripts/faces-meter.ts measured on labelled photos. */
export interface PhotoRow {
  photos: number;
  /** Photos in which the face detector found a face (the others are left out). */
  detected: number;
  medianBefore: number | null;
  medianAfter: number | null;
  maxBefore: number | null;
  maxAfter: number | null;
  /** Detected photos whose top class (as served) is the emotion. */
  topClass: number;
}

export interface PhotoMeasurement {
  dir: string;
  command: string;
  measuredAt: string;
  engine: string;
  rows: Partial<Record<Emotion, PhotoRow>>;
}

type ByEmotion = Partial<Record<Emotion, number | null>>;

interface Report {
  faces?: ByEmotion;
  reference?: { quantile: number; meter: number }[];
  identity?: { emotion: Emotion; reason: string }[];
  medianMeter?: { before?: ByEmotion; after?: ByEmotion };
  otherFacesP90?: { before?: ByEmotion; after?: ByEmotion };
  publicTest?: { ferplusRecall?: ByEmotion; ferAccuracy?: number; ferplusAccuracy?: number };
  promptSet?: Emotion[];
  minRecall?: number;
}

const num = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
const pct = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`;

export function renderCalibrationSection(cal: Calibration, photos?: PhotoMeasurement): string {
  const r = cal as Calibration & Report;
  const lines = [
    SECTION_HEADING,
    `\`${CALIBRATION_FILE}\` (version 2; \`npm run calibrate -- --model <folder>\`, fitted on PublicTest only; docs/scoring.md):`,
    `a temperature of ${cal.temperature} on the class probabilities (the top class never changes, so accuracy as served is the`,
    "network's), and one meter map per emotion: the meter for a prompted emotion is its probability through a",
    'piecewise-linear increasing map (0 → 0, 1 → 1) whose knots are quantiles of that probability on the PublicTest faces',
    'whose FER+ majority is that emotion, placed on a common reference',
    `(${(r.reference ?? []).map((k) => `${k.quantile === 0.5 ? 'median' : `q${k.quantile}`} → ${num(k.meter, 3)}`).join(', ')}).`,
    'A knot needs 15 faces on each side, so an emotion with few faces gets fewer knots.',
    '',
    "Meter of the prompted emotion before (the network's probability) and after (as served), on PublicTest: the median over",
    'faces whose FER+ majority is that emotion, and the 90th percentile over faces of the other emotions (how far a wrong',
    'face goes); FER+ PublicTest recall as served:',
    '',
    '| emotion | faces | knots | median meter before | after | other faces p90 before | after | FER+ recall |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const e of EMOTIONS) {
    lines.push(
      `| ${EMOTION_INFO[e].emoji} ${e} | ${r.faces?.[e] ?? '–'} | ${cal.meter[e].x.length - 2} | ${num(r.medianMeter?.before?.[e])} | ${num(r.medianMeter?.after?.[e])} | ${num(r.otherFacesP90?.before?.[e])} | ${num(r.otherFacesP90?.after?.[e])} | ${pct(r.publicTest?.ferplusRecall?.[e])} |`,
    );
  }
  lines.push('');
  for (const id of r.identity ?? []) lines.push(`- ${id.emotion}: identity map (${id.reason}).`);
  if ((r.identity ?? []).length > 0) lines.push('');
  lines.push(
    `Default prompt set (FER+ PublicTest recall as served ≥ ${100 * (r.minRecall ?? 0.5)}%): ${(r.promptSet ?? []).join(', ') || '–'}.`,
  );
  if (photos) {
    lines.push(
      '',
      '### On photos',
      `One crop per photo of \`${photos.dir}\` (each centred in a grey scene twice its size, as a camera frames a face),`,
      "found and cropped the way the browser does (face-api TinyFaceDetector with the client's options, the client's FER",
      `framing, BT.601 grey area-averaged to 48×48), scored by the served engine (${photos.engine}): the meter of the`,
      "photo's emotion before (the network's probability) and after (as served), and how often the top class is that",
      `emotion. \`${photos.command}\` (${photos.measuredAt.slice(0, 10)}).`,
      '',
      '| emotion | photos | face found | median meter before | after | best before | after | top class is the emotion |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const e of EMOTIONS) {
      const p = photos.rows[e];
      if (!p) continue;
      lines.push(
        `| ${EMOTION_INFO[e].emoji} ${e} | ${p.photos} | ${p.detected} | ${num(p.medianBefore)} | ${num(p.medianAfter)} | ${num(p.maxBefore)} | ${num(p.maxAfter)} | ${p.topClass} of ${p.detected} |`,
      );
    }
  }
  return `${lines.join('\n')}\n\n`;
}

/** The card with its meter calibration section replaced (or inserted before "## Results", else appended). */
export function replaceSection(card: string, section: string): string {
  const start = card.indexOf(`${SECTION_HEADING}\n`);
  if (start >= 0) {
    const next = card.slice(start + SECTION_HEADING.length).search(/\n## /);
    const end = next < 0 ? card.length : start + SECTION_HEADING.length + next + 1;
    return card.slice(0, start) + section + card.slice(end);
  }
  const results = card.indexOf('\n## Results');
  if (results >= 0) return `${card.slice(0, results + 1)}${section}${card.slice(results + 1)}`;
  return `${card.trimEnd()}\n\n${section}`;
}

/** Re-renders the section in `dir`/MODEL_CARD.md; a folder without calibration.json or card is left alone. */
export function updateCalibrationCard(dir: string): void {
  const cardFile = join(dir, 'MODEL_CARD.md');
  const cal = readCalibration(dir);
  if (!cal || !existsSync(cardFile)) return;
  const metricsFile = join(dir, 'metrics.json');
  const photos = existsSync(metricsFile)
    ? ((JSON.parse(readFileSync(metricsFile, 'utf8')) as { calibration?: { photos?: PhotoMeasurement } }).calibration
        ?.photos ?? undefined)
    : undefined;
  writeFileSync(cardFile, replaceSection(readFileSync(cardFile, 'utf8'), renderCalibrationSection(cal, photos)));
}
