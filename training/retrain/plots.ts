/** SVG charts for the model folder: a confusion matrix and training curves. Pure string builders. */
import { EMOTION_INFO, EMOTIONS } from '../../shared/emotions.ts';
import type { EpochRecord } from './checkpoint.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Row-normalised (recall) colouring, with counts and percentages printed in each cell. */
export function confusionMatrixSvg(confusion: number[][], title: string): string {
  const cell = 64;
  const left = 110;
  const top = 80;
  const size = EMOTIONS.length * cell;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + size + 20}" height="${top + size + 60}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left + size / 2}" y="${top - 34}" text-anchor="middle">predicted</text>`,
    `<text x="20" y="${top + size / 2}" transform="rotate(-90 20 ${top + size / 2})" text-anchor="middle">true</text>`,
  );
  EMOTIONS.forEach((e, i) => {
    const name = EMOTION_INFO[e].displayName;
    parts.push(`<text x="${left + i * cell + cell / 2}" y="${top - 8}" text-anchor="middle">${name}</text>`);
    parts.push(`<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${name}</text>`);
  });
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((v, j) => {
      const frac = v / total;
      const shade = Math.round(255 - frac * 200);
      const fill = i === j ? `rgb(${shade},${Math.round(255 - frac * 120)},${shade})` : `rgb(255,${shade},${shade})`;
      const x = left + j * cell;
      const y = top + i * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ccc"/>`);
      parts.push(
        `<text x="${x + cell / 2}" y="${y + cell / 2 - 2}" text-anchor="middle" font-weight="bold">${(frac * 100).toFixed(0)}%</text>`,
      );
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 14}" text-anchor="middle" fill="#555">${v}</text>`);
    });
  });
  parts.push(
    `<text x="${left}" y="${top + size + 30}" fill="#555">cell colour and % = share of the true class's images (recall on the diagonal)</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}

/** Train accuracy, PublicTest accuracy and train loss per epoch. */
export function trainingCurveSvg(history: readonly EpochRecord[], title: string): string {
  const w = 640;
  const h = 360;
  const l = 60;
  const r = 60;
  const t = 40;
  const b = 50;
  const pw = w - l - r;
  const ph = h - t - b;
  const n = Math.max(1, history.length);
  const x = (e: number) => l + (n === 1 ? pw / 2 : ((e - 1) / (n - 1)) * pw);
  const yAcc = (a: number) => t + ph - a * ph;
  const maxLoss = Math.max(1e-6, ...history.map((hh) => hh.trainLoss).filter(Number.isFinite));
  const yLoss = (v: number) => t + ph - (v / maxLoss) * ph;
  const line = (pts: [number, number][], colour: string, dash = '') =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts.map(([a, c]) => `${a.toFixed(1)},${c.toFixed(1)}`).join(' ')}"/>`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${l}" y="22" font-size="16" font-weight="bold">Training curve (${esc(title)})</text>`,
    `<rect x="${l}" y="${t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  ];
  for (let g = 0; g <= 10; g += 2) {
    const yy = yAcc(g / 10);
    parts.push(`<line x1="${l}" x2="${l + pw}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    parts.push(`<text x="${l - 6}" y="${yy + 4}" text-anchor="end">${g * 10}%</text>`);
  }
  parts.push(
    `<text x="${l + pw + 6}" y="${t + 4}">${maxLoss.toFixed(2)}</text><text x="${l + pw + 6}" y="${t + ph}">0</text>`,
  );
  history.forEach((hh) => {
    if (n <= 30 || hh.epoch % 5 === 0)
      parts.push(`<text x="${x(hh.epoch)}" y="${t + ph + 16}" text-anchor="middle">${hh.epoch}</text>`);
  });
  parts.push(`<text x="${l + pw / 2}" y="${h - 8}" text-anchor="middle">epoch</text>`);
  parts.push(
    line(
      history.map((hh) => [x(hh.epoch), yAcc(hh.trainAcc)]),
      '#1f77b4',
    ),
  );
  parts.push(
    line(
      history.map((hh) => [x(hh.epoch), yAcc(hh.publicAcc)]),
      '#d62728',
    ),
  );
  parts.push(
    line(
      history.map((hh) => [x(hh.epoch), yLoss(hh.trainLoss)]),
      '#7f7f7f',
      '5,4',
    ),
  );
  const legend: [string, string][] = [
    ['#1f77b4', 'train accuracy (augmented)'],
    ['#d62728', 'PublicTest accuracy'],
    ['#7f7f7f', 'train loss (right axis)'],
  ];
  legend.forEach(([c, label], i) => {
    parts.push(`<rect x="${l + 10}" y="${t + 10 + i * 18}" width="14" height="4" fill="${c}"/>`);
    parts.push(`<text x="${l + 30}" y="${t + 16 + i * 18}">${label}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
