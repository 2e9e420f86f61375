/** MODEL_CARD.md from a model's metrics (and its shipped neighbours' for comparison). */

import type { EvalReport, ModelMetrics } from '../../server/ml/model-folder/metrics.ts';
import { EMOTION_INFO, EMOTIONS } from '../../shared/emotions.ts';
import type { Int8GateResult } from '../onnx/int8.ts';

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

/** Published anchors on FER2013 (not measured by us). */
const ANCHORS = [
  ['seed paper CNN, 1 epoch (paper)', '1.68M', '38', '37.8%'],
  ['mini-Xception (Arriaga et al. 2017)', '60k', '–', '66%'],
  ['VGG-style, GPU (published)', '–', '–', '73.3%'],
  ['human agreement (approx.)', '–', '–', '~65%'],
];

function confusedPairs(r: EvalReport): string[] {
  const pairs: { t: string; p: string; share: number }[] = [];
  r.confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    if (!total) return;
    row.forEach((v, j) => {
      if (i !== j) pairs.push({ t: EMOTIONS[i] as string, p: EMOTIONS[j] as string, share: v / total });
    });
  });
  return pairs
    .sort((a, b) => b.share - a.share)
    .slice(0, 5)
    .map((x) => `${x.t} → ${x.p} (${pct(x.share)} of ${x.t})`);
}

export function renderModelCard(
  m: ModelMetrics,
  others: { name: string; metrics: ModelMetrics }[],
  int8?: Int8GateResult,
): string {
  const served = m.served.tta ? 'flipTta' : 'plain';
  const priv = m.evaluation.PrivateTest;
  const pub = m.evaluation.PublicTest;
  const rows = [
    `| **this model (${m.architecture})** | ${(m.params / 1e3).toFixed(0)}k | ${(m.flopsPerImage / 1e6).toFixed(0)} | ${pct(pub.plain.accuracy)} | ${pct(priv?.plain.accuracy)} | ${pct(priv?.flipTta.accuracy)} | ${pct(priv?.[served].macroF1)} |`,
    ...others.map(
      (o) =>
        `| ${o.name} (${o.metrics.architecture}, ${o.metrics.epochs} epoch${o.metrics.epochs === 1 ? '' : 's'}) | ${(o.metrics.params / 1e3).toFixed(0)}k | ${(o.metrics.flopsPerImage / 1e6).toFixed(0)} | ${pct(o.metrics.evaluation.PublicTest.plain.accuracy)} | ${pct(o.metrics.evaluation.PrivateTest?.plain.accuracy)} | ${pct(o.metrics.evaluation.PrivateTest?.flipTta.accuracy)} | ${pct(o.metrics.evaluation.PrivateTest?.plain.macroF1)} |`,
    ),
  ];
  const perClass = EMOTIONS.map((e) => {
    const c = priv?.[served].perClass[e];
    const p = pub[served].perClass[e];
    return `| ${EMOTION_INFO[e].emoji} ${e} | ${pct(c?.precision)} | ${pct(c?.recall)} | ${pct(c?.f1)} | ${c?.support ?? '–'} | ${pct(p?.recall)} |`;
  });
  const weak = priv ? confusedPairs(priv[served]) : [];
  const interim = m.interim
    ? `\n> **Interim model.** These are the best weights (epoch ${m.bestEpoch}) of a training run that has not finished;\n> the run continues with \`npm run retrain -- --resume\` and replaces this folder when it ends.\n`
    : '';
  return `# Model card: ${m.architecture}
${interim}
Emotion Arena's server scores each player's 48×48 grayscale face crop with this network and
uses the probability of the prompted emotion as the player's match.

## Data and protocol
- FER2013 (Kaggle layout \`emotion,pixels,Usage\`): trained on \`Training\` (28,709 images${(m.data as string[] | undefined)?.length && (m.data as string[]).length > 1 ? ' plus extra files' : ''}),
  best epoch selected on \`PublicTest\` (3,589), reported once on \`PrivateTest\` (3,589), which was never used for
  training, tuning or selection.
- Input: 48×48×1, pixel / 255. Augmentation (training only): rotation, scale, shift, horizontal flip, contrast, brightness.
- Served configuration: ${m.served.tta ? 'average of the frame and its mirror (flip TTA)' : 'single forward pass (no TTA)'}, ${(((m.servedFlopsPerFrame as number | undefined) ?? m.flopsPerImage) / 1e6).toFixed(0)} MFLOP per frame.${servedWeights(int8)}
- Training: ${m.epochs} epochs (best: ${m.bestEpoch}), backend \`${m.backend}\`, ${(m.wallTimeS / 60).toFixed(0)} min wall time, ${m.trainImgPerSec} train img/s on 2 CPU cores.${startingPoint(m)}

${asServedSection(m)}${calibrationSection(m)}
## Results (accuracy, at training time)
| model | params | MFLOP/image | PublicTest | PrivateTest | PrivateTest, flip TTA | PrivateTest macro-F1 |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Published anchors (other code, other training; for orientation only):

| model | params | MFLOP/image | FER2013 test accuracy |
|---|---|---|---|
${ANCHORS.map((a) => `| ${a.join(' | ')} |`).join('\n')}

## Per class (PrivateTest, served configuration)
| emotion | precision | recall | F1 | images | PublicTest recall |
|---|---|---|---|---|---|
${perClass.join('\n')}

![confusion matrix](confusion-matrix.svg)
![training curve](training-curve.svg)

## Known weaknesses
Most frequent confusions (PrivateTest): ${weak.join('; ') || '–'}.
FER2013 labels are noisy (human agreement is about 65%), disgust has few examples (1.5% of the data), and
fear/sad/angry are often confused with each other and with neutral. The game leaves emotions whose PublicTest recall
(calibrated FER+ recall when the folder is calibrated) is below 50% out of the default prompt set, so players are not
asked for expressions the model rarely recognises.

## Intended use
Scoring expressions in a party game, on face crops framed like FER2013. Not for identifying people, judging
anyone's real emotional state, or any decision about a person. Frames are scored in memory and not stored.
`;
}

/**
 * The server prefers the int8 ONNX file when the export gate kept it, so the card says so and
 * what the quantisation cost on PublicTest; the tables above are the fp32 figures.
 */
function servedWeights(r: Int8GateResult | undefined): string {
  if (!r) return '';
  const fig = `PublicTest ${pct(r.int8Accuracy)} int8 against ${pct(r.fp32Accuracy)} fp32`;
  return r.kept
    ? `\n- Served weights: int8 ONNX (\`${r.file}\`, calibrated on ${r.calibrationImages} training images; ${fig}). The tables give fp32 figures; \`npm run evaluate -- --model <folder>\` measures the served engine.`
    : `\n- Served weights: fp32 (the int8 export lost more than ${r.maxDropPoints} points: ${fig}).`;
}

/**
 * A warm restart continues another published model and a teacher shapes the targets;
 * the card names both, since the results build on those models.
 */
function startingPoint(m: ModelMetrics): string {
  const t = m.training as { initFrom?: unknown; teacher?: unknown; distillWeight?: unknown } | undefined;
  const lines: string[] = [];
  if (typeof t?.initFrom === 'string') {
    lines.push(
      `- Warm restart: started from the weights of \`${t.initFrom}\` (with a fresh optimizer and learning-rate cycle), so its epochs come on top of that model's.`,
    );
  }
  const mix = t as { labelWeight?: unknown; ferplusWeight?: unknown; faceapiWeight?: unknown } | undefined;
  const extraSources =
    (typeof mix?.ferplusWeight === 'number' && mix.ferplusWeight > 0) ||
    (typeof mix?.faceapiWeight === 'number' && mix.faceapiWeight > 0);
  // With FER+ or face-api in the mix, every part is named; a teacher alone keeps the distillation line.
  if (typeof mix?.labelWeight === 'number' && extraSources) {
    const parts = [`the original label (weight ${mix.labelWeight})`];
    if (typeof mix.ferplusWeight === 'number' && mix.ferplusWeight > 0)
      parts.push(
        `the FER+ vote distribution over the 7 emotions (weight ${mix.ferplusWeight}; not-a-face rows dropped)`,
      );
    if (typeof t?.teacher === 'string')
      parts.push(`the flip-averaged prediction of \`${t.teacher}\` (weight ${Number(t.distillWeight)})`);
    if (typeof mix.faceapiWeight === 'number' && mix.faceapiWeight > 0)
      parts.push(`face-api's FaceExpressionNet prediction (weight ${mix.faceapiWeight})`);
    lines.push(`- Training targets: ${parts.join(', ')}.`);
  } else if (typeof t?.teacher === 'string') {
    lines.push(
      `- Distillation: each training target mixes the label (weight ${Number((1 - Number(t.distillWeight)).toFixed(3))}) with the flip-averaged prediction of \`${t.teacher}\` on that image (weight ${Number(t.distillWeight)}).`,
    );
  }
  if (typeof (t as { selection?: unknown } | undefined)?.selection === 'string') {
    const sel = (t as { selection: string }).selection;
    lines.push(
      `- Epoch selection (declared before training): ${sel === 'fer+ferplus' ? 'mean of FER2013 and FER+ majority-label PublicTest accuracy' : 'PublicTest accuracy'}.`,
    );
  }
  return lines.map((l) => `\n${l}`).join('');
}

interface AsServedEntry {
  accuracy: number;
  macroF1: number;
  n: number;
  excluded?: number;
  perClassRecall: Partial<Record<string, number>>;
  engine: string;
  data?: string;
  command: string;
  measuredAt: string;
}

/**
 * Figures measured through the served engine (npm run evaluate -- --record): both label
 * sets, with the commands. FER+ labels: the unique top column of the 10 votes when it is
 * one of the 7 game emotions (ties, not-a-face, unknown and contempt majorities left out).
 */
function asServedSection(m: ModelMetrics): string {
  const a = m.asServed as
    | Partial<Record<'fer' | 'ferplus' | 'ferNetwork' | 'ferplusNetwork', Partial<Record<string, AsServedEntry>>>>
    | undefined;
  if (!a) return '';
  const cell = (e: AsServedEntry | undefined) =>
    e ? `${pct(e.accuracy)} (macro-F1 ${pct(e.macroF1)}, ${e.n} images)` : '–';
  const lines = [
    '## As served (re-measured on the canonical FER2013 file)',
    '| labels | PublicTest | PrivateTest |',
    '|---|---|---|',
    `| FER2013 original | ${cell(a.fer?.PublicTest)} | ${cell(a.fer?.PrivateTest)} |`,
    `| FER+ 7-emotion majority | ${cell(a.ferplus?.PublicTest)} | ${cell(a.ferplus?.PrivateTest)} |`,
    ...(a.ferNetwork
      ? [
          `| FER2013 original, network without calibration | ${cell(a.ferNetwork.PublicTest)} | ${cell(a.ferNetwork.PrivateTest)} |`,
        ]
      : []),
    ...(a.ferplusNetwork
      ? [
          `| FER+ majority, network without calibration | ${cell(a.ferplusNetwork.PublicTest)} | ${cell(a.ferplusNetwork.PrivateTest)} |`,
        ]
      : []),
    '',
    "FER+ majority label: the column with the most of the 10 annotators' votes, kept only when it is unique and is one",
    'of the 7 game emotions; rows whose top column is tied, not-a-face, unknown or contempt are left out.',
  ];
  const plusPriv = a.ferplus?.PrivateTest;
  if (plusPriv) {
    lines.push('', '| emotion | FER+ PrivateTest recall | FER2013 PrivateTest recall |', '|---|---|---|');
    for (const e of EMOTIONS)
      lines.push(
        `| ${EMOTION_INFO[e].emoji} ${e} | ${pct(plusPriv.perClassRecall[e])} | ${pct(a.fer?.PrivateTest?.perClassRecall[e])} |`,
      );
  }
  const entries = [
    a.fer?.PublicTest,
    a.fer?.PrivateTest,
    a.ferplus?.PublicTest,
    a.ferplus?.PrivateTest,
    a.ferNetwork?.PublicTest,
    a.ferNetwork?.PrivateTest,
    a.ferplusNetwork?.PublicTest,
    a.ferplusNetwork?.PrivateTest,
  ].filter((e): e is AsServedEntry => e !== undefined);
  lines.push('', `Engine: ${entries[0]?.engine ?? '–'}; data ${entries[0]?.data ?? '–'}. Commands:`, '');
  for (const e of entries) lines.push(`- \`${e.command}\` (${e.measuredAt.slice(0, 10)})`);
  return `${lines.join('\n')}\n\n`;
}

/** The meter calibration's per-emotion median before/after (from npm run calibrate). */
function calibrationSection(m: ModelMetrics): string {
  const c = m.calibration as
    | {
        file?: string;
        temperature?: number;
        medianMeter?: { before: Record<string, number | null>; after: Record<string, number | null> };
        ferplusPublicRecall?: Record<string, number | null>;
        ferplusPublicRecallRaw?: Record<string, number | null>;
        promptSet?: string[];
      }
    | undefined;
  if (!c?.medianMeter) return '';
  const lines = [
    '## Meter calibration',
    `\`${c.file ?? 'calibration.json'}\` (temperature ${c.temperature ?? '–'} and one bias per emotion, fitted on PublicTest; see docs/scoring.md).`,
    'Median meter on the PublicTest faces whose FER+ majority is that emotion, and FER+ PublicTest recall:',
    '',
    '| emotion | median meter before | after | FER+ recall before | after |',
    '|---|---|---|---|---|',
  ];
  const p = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(2));
  for (const e of EMOTIONS)
    lines.push(
      `| ${EMOTION_INFO[e].emoji} ${e} | ${p(c.medianMeter.before[e])} | ${p(c.medianMeter.after[e])} | ${pct(c.ferplusPublicRecallRaw?.[e] ?? undefined)} | ${pct(c.ferplusPublicRecall?.[e] ?? undefined)} |`,
    );
  lines.push(
    '',
    `Default prompt set (calibrated FER+ PublicTest recall ≥ 50%): ${(c.promptSet ?? []).join(', ') || '–'}.`,
  );
  return `${lines.join('\n')}\n\n`;
}
