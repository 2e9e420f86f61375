/**
 * Camera denied (clear message, spectator path), a 375 px phone viewport through home, lobby
 * and a round, reconnecting after a network blip; watching by choice, taking a seat, coming
 * back after a reload; and loading on a slow connection. One server for all of them.
 *
 * Seats: a player opens a join link and presses Watch (no camera is asked for, and no "Camera
 * is off"), then asks to play (the camera starts: the camera check), reloads the page and is
 * back in the same seat with the address still naming the room. A reload whose room has closed
 * lands on Home with the code filled in and the reason; a code that names no room gets a
 * friendly message.
 *
 * Loading: how soon a player on a slow connection can use the home screen. The client is
 * served precompressed, and the home screen does not wait for face-api and tfjs (a separate
 * chunk, loaded after it). Measured in Chromium with DevTools' "Fast 3G" throttling (1.44
 * Mbit/s down, 562 ms round trip); prints the figures (a benchmark's job, so only the order of
 * events and the encodings are asserted, not the milliseconds).
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JoinResult } from '../../shared/protocol.ts';
import { ask, connectBot, newToken } from '../helpers/server-harness.ts';
import { configureGame, createRoom, joinRoom, openHome, waitForFace } from './flows.ts';
import { hook, launchPlayer, type Player, setUpE2ESuite, shot, waitForScene } from './support.ts';

/** Chrome DevTools' "Fast 3G" preset. */
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: 180_000, uploadThroughput: 84_375 };

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

  describe('seats: watching, playing, reloading', () => {
    let p: Player;
    beforeAll(async () => {
      p = await launchPlayer({ face: 'sample1Right', workDir: dir, name: 'seat' });
    });
    afterAll(async () => p?.close());

    it('Watch joins without a camera; Play starts it; a reload returns to the same seat', async () => {
      const { page } = p;
      const bot = await connectBot(suite.srv.server.url);
      const created = await ask<JoinResult>(bot, 'room:create', { nickname: 'HostBot', playerToken: newToken('host') });
      if (!created.ok) throw new Error(created.error.message);
      const code = created.data.state.code;

      await openHome(page, suite.srv.server.url, `?room=${code}`);
      await page.fill('#nickname', 'Watcher');
      await page.click('#watch-room');
      await waitForScene(page, 'Lobby');
      const watching = await hook(page);
      expect(watching.self?.role).toBe('spectator');
      expect(new URL(page.url()).searchParams.get('room')).toBe(code);
      await expect.poll(() => page.textContent('.camera-check')).toMatch(/watching as a spectator/i);
      // Nobody asked for the camera, and nobody is told it is off.
      expect(watching.capture?.camera ?? 'off').toBe('off');
      expect(await page.isVisible('.camera-status')).toBe(false);
      await shot(page, dir, 'watching');

      await page.click('#play-with-camera');
      await page.waitForFunction(() => window.__arena?.self?.role === 'player', undefined, { timeout: 30_000 });
      await page.waitForFunction(() => window.__arena?.capture?.camera === 'on', undefined, { timeout: 30_000 });
      expect(await page.isVisible('.camera-check .camera-preview')).toBe(true);
      const seat = (await hook(page)).self!;

      await page.reload();
      await page.waitForFunction(
        (id) => window.__arena?.self?.playerId === id && window.__arena.scene === 'Lobby',
        seat.playerId,
        { timeout: 30_000 },
      );
      const back = await hook(page);
      expect(back.self?.role).toBe('player');
      expect(back.room?.code).toBe(code);
      expect(back.room?.players.filter((p) => p.nickname === 'Watcher')).toHaveLength(1);
      await page.waitForFunction(() => window.__arena?.capture?.camera === 'on', undefined, { timeout: 30_000 });

      // The room closes while the tab is away: the reopened tab explains it, code filled in.
      await page.goto('about:blank');
      await ask(bot, 'room:leave');
      bot.disconnect();
      // Our held seat expires (as it does 60 s after a tab closes) and the empty room closes.
      const rooms = suite.srv.server.app.rooms;
      const room = rooms.get(code);
      room?.leave(seat.playerId);
      if (room && rooms.get(code)) rooms.discard(room);
      expect(rooms.get(code)).toBeUndefined();
      await page.goto(`${suite.srv.server.url}/?room=${code}`);
      await waitForScene(page, 'Home');
      expect(await page.inputValue('#room-code')).toBe(code);
      await expect.poll(() => page.textContent('.home-panel .msg')).toMatch(new RegExp(`Room ${code} has closed`));
      await shot(page, dir, 'seat-gone');
    });

    it('a code that names no room gets a friendly message, not the server text', async () => {
      const { page } = p;
      await openHome(page, suite.srv.server.url);
      await page.fill('#nickname', 'Typo');
      await page.fill('#room-code', 'ZZZZ9');
      await page.click('#join-room');
      await expect
        .poll(() => page.textContent('.home-panel .msg'))
        .toBe('There is no room ZZZZ9: check the code (it may have closed).');
    });
  });

  describe('loading on a slow connection', () => {
    let p: Player;
    beforeAll(async () => {
      p = await launchPlayer({ face: null, workDir: dir, name: 'slow' });
    });
    afterAll(async () => p?.close());

    it('serves the client compressed and makes home interactive before face-api has loaded', async () => {
      const { page } = p;
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      await cdp.send('Network.emulateNetworkConditions', FAST_3G);
      const scripts: { url: string; encoding: string | null; bytes: number }[] = [];
      page.on('response', async (res) => {
        const url = new URL(res.url());
        if (!url.pathname.startsWith('/assets/') || !url.pathname.endsWith('.js')) return;
        const headers = await res.allHeaders();
        scripts.push({
          url: url.pathname,
          encoding: headers['content-encoding'] ?? null,
          bytes: Number(headers['content-length'] ?? 0),
        });
      });
      await page.goto(suite.srv.server.url, { waitUntil: 'commit' });
      await page.waitForSelector('#create-room', { state: 'visible', timeout: 120_000 });
      await page.waitForFunction(() => window.__arena?.timings.detectorReadyAtMs != null, undefined, {
        timeout: 180_000,
        polling: 200,
      });
      const t = (await hook(page)).timings;
      const total = scripts.reduce((a, s) => a + s.bytes, 0);
      console.log(
        `Fast 3G (1.44 Mbit/s, 562 ms RTT): home interactive after ${t.interactiveAtMs} ms; ` +
          `face detector ready after ${t.detectorReadyAtMs} ms; scripts ${Math.round(total / 1024)} kB on the wire: ` +
          scripts
            .map((s) => `${s.url.replace(/-[\w-]+\.js$/, '')} ${Math.round(s.bytes / 1024)} kB ${s.encoding}`)
            .join(', '),
      );
      // Every script worth compressing came compressed (Chromium accepts gzip and br); the build
      // leaves files under 1 kB as they are.
      const big = scripts.filter((s) => s.encoding !== null || s.bytes >= 1024);
      expect(big.length).toBeGreaterThanOrEqual(4);
      for (const s of big) expect(s.encoding ?? 'none', s.url).toMatch(/^(br|gzip)$/);
      // The home screen did not wait for face-api: it was usable first.
      expect(t.interactiveAtMs!).toBeLessThan(t.detectorReadyAtMs!);
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
    });
  });
});
