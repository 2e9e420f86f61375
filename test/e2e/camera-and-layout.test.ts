/**
 * Camera denied (clear message, spectator path), a 375 px phone viewport through home, lobby
 * and a round, and reconnecting after a network blip.
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JoinResult } from '../../shared/protocol.ts';
import { ask, connectBot, newToken } from '../integration/server/harness.ts';
import { configureGame, createRoom, joinRoom, openHome, waitForFace } from './flows.ts';
import { hook, launchPlayer, type Player, setUpE2ESuite, shot, waitForScene } from './support.ts';

/** Nothing may stick out sideways on a phone: no horizontal scrolling, controls on screen. */
async function expectFitsWidth(page: Page, width: number, selectors: string[]): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(overflow).toBeLessThanOrEqual(width);
  for (const sel of selectors) {
    const box = await page.locator(sel).first().boundingBox();
    expect(box, `${sel} is visible`).not.toBeNull();
    expect(box!.x, `${sel} left edge`).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, `${sel} right edge`).toBeLessThanOrEqual(width + 0.5);
  }
}

describe('camera and layout in headless Chromium', () => {
  // These tests do not judge scores, so they also run before a trained model exists.
  const suite = setUpE2ESuite('camera-and-layout', { allowMarker: true });
  const { dir } = suite;

  describe('camera permission denied', () => {
    let p: Player;
    beforeAll(async () => {
      p = await launchPlayer({ face: null, workDir: dir, name: 'denied' });
    });
    afterAll(async () => p?.close());

    it('explains the problem and lets the player watch as a spectator', async () => {
      const { page } = p;
      // Someone else hosts (a protocol bot): a spectator watches other players' game.
      const bot = await connectBot(suite.srv.server.url);
      const created = await ask<JoinResult>(bot, 'room:create', { nickname: 'HostBot', playerToken: newToken('host') });
      expect(created.ok).toBe(true);
      const code = created.ok ? created.data.state.code : '';
      await openHome(page, suite.srv.server.url);
      await joinRoom(page, code, 'NoCam');
      await page.waitForFunction(() => window.__arena?.capture?.camera === 'error', undefined, { timeout: 30_000 });
      await expect.poll(() => page.textContent('.camera-status')).toMatch(/denied/i);
      expect(await page.isVisible('#retry-camera')).toBe(true);
      expect(await page.isVisible('#watch-spectator')).toBe(true);
      await shot(page, dir, 'denied-lobby');
      await page.click('#watch-spectator');
      await page.waitForFunction(() => window.__arena?.self?.role === 'spectator', undefined, { timeout: 15_000 });
      await waitForScene(page, 'Lobby');
      await expect.poll(() => page.textContent('.camera-check')).toMatch(/spectator/i);
      await shot(page, dir, 'denied-spectator');
      expect((await hook(page)).capture?.framesSent ?? 0).toBe(0);
      bot.disconnect();
    });
  });

  describe('no face in view', () => {
    let p: Player;
    beforeAll(async () => {
      p = await launchPlayer({ face: 'noFace', workDir: dir, name: 'noface' });
    });
    afterAll(async () => p?.close());

    it('says so, and sends nothing during a round', async () => {
      const { page } = p;
      await openHome(page, suite.srv.server.url);
      await createRoom(page, 'Away');
      // The detector has run on real pixels and found nobody.
      await page.waitForFunction(
        () => (window.__arena?.capture?.detectFps ?? 0) > 0 && window.__arena?.capture?.facesInView === 0,
        undefined,
        { timeout: 60_000 },
      );
      await expect.poll(() => page.textContent('.camera-status')).toMatch(/No face in view/);
      await configureGame(page, { rounds: 1, roundSeconds: 5 });
      await page.click('#start-game');
      await page.waitForFunction(() => window.__arena?.room?.phase === 'round', undefined, { timeout: 30_000 });
      await expect.poll(() => page.textContent('.round-notice')).toMatch(/No face in view/);
      await page.waitForTimeout(1500);
      await shot(page, dir, 'no-face-round');
      const h = await hook(page);
      expect(h.capture?.pausedReason).toBe('no-face');
      expect(h.capture?.framesSent).toBe(0);
    });
  });

  describe('plain http on a LAN address', () => {
    let p: Player;
    beforeAll(async () => {
      // arena.lan resolves to the test server: a non-localhost http origin is not a secure context.
      p = await launchPlayer({
        face: 'sample1Right',
        workDir: dir,
        name: 'lan-http',
        extraArgs: ['--host-resolver-rules=MAP arena.lan 127.0.0.1'],
      });
    });
    afterAll(async () => p?.close());

    it('explains that the camera needs HTTPS, on the home page and in the camera check', async () => {
      const { page } = p;
      const port = new URL(suite.srv.server.url).port;
      await openHome(page, `http://arena.lan:${port}`);
      expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
      await expect.poll(() => page.textContent('#insecure-warning')).toContain(`https://arena.lan:${port}/`);
      await shot(page, dir, 'lan-http-home');
      await createRoom(page, 'LanUser');
      await expect.poll(() => page.textContent('.camera-status')).toMatch(/secure pages/);
    });
  });

  describe('375 px phone', () => {
    let p: Player;
    beforeAll(async () => {
      p = await launchPlayer({
        face: 'sample3Right',
        workDir: dir,
        name: 'phone',
        viewport: { width: 375, height: 740 },
      });
    });
    afterAll(async () => p?.close());

    it('fits home, lobby and a round on a 375 px wide screen', async () => {
      const { page } = p;
      await openHome(page, suite.srv.server.url);
      await expectFitsWidth(page, 375, ['#nickname', '#create-room', '#room-code', '#join-room']);
      await shot(page, dir, 'phone-home');
      await createRoom(page, 'Phone');
      await waitForFace(page);
      await expectFitsWidth(page, 375, ['#start-game', '.camera-preview', '#set-rounds']);
      // The camera check is above the fold: a phone player sees it before scrolling to Start.
      const cam = await page.locator('.camera-check .camera-preview').boundingBox();
      expect(cam!.y + cam!.height).toBeLessThanOrEqual(740);
      await shot(page, dir, 'phone-lobby');
      await configureGame(page, { rounds: 1, roundSeconds: 5 });
      await page.click('#start-game');
      await page.waitForFunction(() => window.__arena?.room?.phase === 'round', undefined, { timeout: 30_000 });
      await page.waitForTimeout(1500);
      await expectFitsWidth(page, 375, ['.camera-preview']);
      await shot(page, dir, 'phone-round');
      await waitForScene(page, 'Final', 60_000);
      await shot(page, dir, 'phone-final');
    });

    it('reconnects by itself after a network blip, showing that it is reconnecting', async () => {
      const { page } = p;
      const before = await hook(page);
      // Drop every socket server-side, as a Wi-Fi blip would.
      for (const s of suite.srv.server.app.io.sockets.sockets.values()) s.conn.close();
      await page.waitForFunction(
        () => !document.querySelector('#connection-banner')?.hasAttribute('hidden'),
        undefined,
        {
          timeout: 10_000,
        },
      );
      await shot(page, dir, 'phone-reconnecting');
      await page.waitForFunction(() => window.__arena?.connection === 'connected', undefined, { timeout: 20_000 });
      // Re-joined the same room with the same player token: same public id, still connected.
      await page.waitForFunction(
        (id) => window.__arena?.room?.players.some((pl) => pl.id === id && pl.connected) ?? false,
        before.self!.playerId,
        { timeout: 20_000 },
      );
      const after = await hook(page);
      expect(after.room?.code).toBe(before.room?.code);
      expect(after.self?.playerId).toBe(before.self?.playerId);
    });
  });
});
