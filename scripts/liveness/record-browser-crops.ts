/**
 * Records the 48×48 crops a real browser sends: headless Chromium with the e2e suite's fake
 * camera (a drifting, noisy photo), the real client build, and a server whose engine writes
 * down every frame it is asked to score. These recordings are the "live camera" side of the
 * liveness measurements (scripts/liveness/measure.ts) and the unit-test fixtures.
 *
 *   node --import tsx scripts/liveness/record-browser-crops.ts [--seconds 20] [--out DIR]
 *
 * Writes DIR/browser-<face>.gray: frames back to back, 2304 bytes each, in arrival order.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EmotionEngine } from '../../server/ml/engine/types.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { configureGame, createRoom, waitForFace } from '../../test/e2e/flows.ts';
import { ensureClientBuild, ensureTools, launchPlayer, ROOT, waitForScene } from '../../test/e2e/support.ts';
import { markerEngine, SHORT_TIMINGS, startTestServer } from '../../test/helpers/server-harness.ts';
import type { DemoFace } from '../../test/helpers/y4m.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    out: { type: 'string', default: path.join(ROOT, 'test-artifacts', 'liveness') },
    faces: { type: 'string', default: 'sample1Right,sample3Right,sample6Right' },
  },
});
const seconds = Number(values.seconds);
const outDir = values.out as string;
mkdirSync(outDir, { recursive: true });

/** Scores with the marker engine (the scores do not matter here) and keeps every frame. */
function recordingEngine(frames: Uint8Array[]): EmotionEngine {
  const inner = markerEngine();
  return {
    name: 'recorder',
    async predict(batch) {
      for (const f of batch) frames.push(Uint8Array.from(f));
      return inner.predict(batch);
    },
    async dispose() {},
  };
}

ensureTools();
ensureClientBuild();
for (const face of (values.faces as string).split(',') as DemoFace[]) {
  const frames: Uint8Array[] = [];
  const server = await startTestServer({ engine: recordingEngine(frames), serveClient: true, timings: SHORT_TIMINGS });
  const player = await launchPlayer({ face, name: `rec-${face}`, workDir: outDir });
  try {
    const { page } = player;
    // A busy machine can take longer than the default 30 s to load the page.
    await page.goto(server.url, { timeout: 180_000 });
    await waitForScene(page, 'Home', 180_000);
    await createRoom(page, 'Recorder');
    await waitForFace(page);
    await configureGame(page, { rounds: 1, roundSeconds: seconds });
    await page.click('#start-game');
    await waitForScene(page, 'Final', (seconds + 60) * 1000);
  } finally {
    await player.close();
    await server.close();
  }
  const file = path.join(outDir, `browser-${face}.gray`);
  const all = new Uint8Array(frames.length * FRAME_BYTES);
  for (const [i, f] of frames.entries()) all.set(f, i * FRAME_BYTES);
  writeFileSync(file, all);
  console.log(`${face}: ${frames.length} frames → ${file}`);
}
