/**
 * The capture pipeline in a real browser: fake camera → face-api in Chromium → 48×48 crop →
 * Socket.IO → the real server's frame:result. Also records the pipeline's frames/s.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { configureGame, createRoom, openHome, waitForFace } from './flows.ts';
import { hook, setUpE2ESuite, shot, waitForScene } from './support.ts';

describe('capture pipeline (headless Chromium, fake camera)', () => {
  // A countdown long enough to be seen in the screenshot.
  const suite = setUpE2ESuite('capture', {
    allowMarker: true,
    timings: { countdownMs: 2500 },
    players: [{ face: 'sample1Right', name: 'solo' }],
  });
  const { dir } = suite;

  it('detects the face, sends 48×48 frames only during the round, and gets results back', async () => {
    const { page } = suite.players[0]!;
    // ARENA_E2E_FPS=N measures the pipeline at another send rate (default: the game's 5/s).
    const fps = process.env.ARENA_E2E_FPS ? `&fps=${Number(process.env.ARENA_E2E_FPS)}` : '';
    await openHome(page, suite.srv.server.url, `?debug=1${fps}`);
    await shot(page, dir, '01-home');
    await createRoom(page, 'Solo');
    await waitForFace(page);
    const lobby = await hook(page);
    // Between rounds nothing is sent, even with a face in view.
    expect(lobby.capture?.framesSent).toBe(0);
    expect(lobby.detector?.backend).toMatch(/^(wasm|webgl|cpu)$/);
    await shot(page, dir, '02-lobby-camera-check');

    await configureGame(page, { rounds: 1, roundSeconds: 10 });
    await page.click('#start-game');
    await waitForScene(page, 'Round');
    await page.waitForTimeout(600);
    await shot(page, dir, '03-countdown');
    await page.waitForFunction(() => window.__arena?.room?.phase === 'round', undefined, { timeout: 30_000 });
    await page.waitForFunction(() => (window.__arena?.frameResults ?? 0) >= 5, undefined, { timeout: 30_000 });
    await page.waitForTimeout(2000);
    const during = await hook(page);
    await shot(page, dir, '04-round');

    const frame = await page.evaluate(() => window.__arena!.lastFrameBase64());
    const bytes = Buffer.from(frame ?? '', 'base64');
    expect(bytes.length).toBe(FRAME_BYTES);
    // A real face crop has contrast (not a blank or uniform frame).
    expect(Math.max(...bytes) - Math.min(...bytes)).toBeGreaterThan(60);
    writeFileSync(path.join(dir, 'last-frame.gray'), bytes);

    expect(during.capture!.framesSent).toBeGreaterThanOrEqual(5);
    expect(during.lastFrameResult!.probabilities).toHaveLength(7);
    const measured = {
      backend: during.detector?.backend,
      trials: during.detector?.trials,
      gpu: during.detector?.gpu.renderer,
      detectFps: during.capture!.detectFps,
      sendFps: during.capture!.sendFps,
      framesSent: during.capture!.framesSent,
      frameResults: during.frameResults,
    };
    console.log('capture pipeline in headless Chromium:', JSON.stringify(measured));
    writeFileSync(path.join(dir, 'capture-fps.json'), `${JSON.stringify(measured, null, 2)}\n`);
    // Configured rate is 5 frames/s; allow for a slow shared CI machine.
    expect(during.capture!.sendFps).toBeGreaterThan(2);

    // Tab hidden: sending stops (emulated; headless pages are never really hidden).
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { value: h, configurable: true });
        Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await page.waitForTimeout(400); // a detection in flight may still finish
    const hiddenFrom = (await hook(page)).capture!;
    await page.waitForTimeout(1200);
    const hiddenTo = (await hook(page)).capture!;
    expect(hiddenTo.pausedReason).toBe('hidden');
    expect(hiddenTo.framesSent).toBe(hiddenFrom.framesSent);
    await setHidden(false);

    await waitForScene(page, 'Final', 60_000);
    const sentAtEnd = (await hook(page)).capture!.framesSent;
    await page.waitForTimeout(1500);
    // After the round, sending stops.
    expect((await hook(page)).capture!.framesSent).toBe(sentAtEnd);
  });
});
