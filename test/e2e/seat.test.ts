/**
 * Watching by choice, taking a seat between games, and coming back after a reload: a player
 * opens a join link and presses Watch (no camera is asked for, and no "Camera is off"), then
 * asks to play (the camera starts: the camera check), reloads the page and is back in the same
 * seat with the address still naming the room. A reload whose room has closed lands on Home
 * with the code filled in and the reason; a code that names no room gets a friendly message.
 */
import { describe, expect, it } from 'vitest';
import type { JoinResult } from '../../shared/protocol.ts';
import { ask, connectBot, newToken } from '../integration/server/harness.ts';
import { openHome } from './flows.ts';
import { hook, setUpE2ESuite, shot, waitForScene } from './support.ts';

describe('seats: watching, playing, reloading', () => {
  const suite = setUpE2ESuite('seat', { allowMarker: true, players: [{ face: 'sample1Right', name: 'seat' }] });

  it('Watch joins without a camera; Play starts it; a reload returns to the same seat', async () => {
    const { page } = suite.players[0]!;
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
    await shot(page, suite.dir, 'watching');

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
    await shot(page, suite.dir, 'seat-gone');
  });

  it('a code that names no room gets a friendly message, not the server text', async () => {
    const { page } = suite.players[0]!;
    await openHome(page, suite.srv.server.url);
    await page.fill('#nickname', 'Typo');
    await page.fill('#room-code', 'ZZZZ9');
    await page.click('#join-room');
    await expect
      .poll(() => page.textContent('.home-panel .msg'))
      .toBe('There is no room ZZZZ9: check the code (it may have closed).');
  });
});
