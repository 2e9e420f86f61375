/**
 * Restarts explained (issue 17, item 3): the browser's network client (client/src/net/arena-client.ts,
 * run here in Node) is in a room when the server goes away. A graceful shutdown announces
 * SERVER_RESTARTING; after the restart, or after a kill without warning, the client's rejoin finds
 * no room and the player is told the server restarted and their finished games are saved.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvents } from '../../../client/src/core/event-bus.ts';
import { EventBus } from '../../../client/src/core/event-bus.ts';
import { ArenaClient } from '../../../client/src/net/arena-client.ts';
import { SERVER_RESTARTED_MESSAGE } from '../../../client/src/net/room-gone.ts';
import { type Application, createApplication } from '../../../server/app.ts';
import { MemoryLeaderboardStore } from '../../../server/store/memory-store.ts';
import type { ProtocolError } from '../../../shared/protocol.ts';
import { markerEngine, newToken } from '../../helpers/server-harness.ts';

interface Running {
  http: HttpServer;
  app: Application;
  port: number;
}

async function serve(port = 0): Promise<Running> {
  const http = createServer();
  const app = createApplication(http, {
    engine: markerEngine(),
    store: new MemoryLeaderboardStore(),
    serveClient: false,
  });
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', () => r()));
  return { http, app, port: (http.address() as AddressInfo).port };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function playerInRoom(url: string) {
  const bus = new EventBus<BusEvents>();
  const errors: ProtocolError[] = [];
  let left = 0;
  bus.on('serverError', (e) => errors.push(e));
  bus.on('left', () => left++);
  const client = new ArenaClient(bus, newToken('restart'), url);
  cleanups.push(() => {
    client.socket.disconnect();
  });
  await expect.poll(() => client.connected, { timeout: 10_000 }).toBe(true);
  await client.createRoom('Rea', 'player');
  return { client, errors, left: () => left };
}

describe('the client after a server restart', () => {
  it('hears SERVER_RESTARTING on shutdown, and after the restart says its finished games are saved', async () => {
    const first = await serve();
    const player = await playerInRoom(`http://127.0.0.1:${first.port}`);
    await first.app.shutdown();
    expect(player.errors.map((e) => e.code)).toContain('SERVER_RESTARTING');

    const second = await serve(first.port);
    cleanups.push(() => second.app.shutdown());
    await expect.poll(() => player.left(), { timeout: 20_000, interval: 100 }).toBe(1);
    const last = player.errors.at(-1);
    expect(last).toEqual({ code: 'ROOM_NOT_FOUND', message: SERVER_RESTARTED_MESSAGE });
    expect(last?.message).toMatch(/the server restarted; your finished games are saved/i);
    expect(player.client.roomCode).toBeNull();
  });

  it('says the same after a kill without warning (no SERVER_RESTARTING)', async () => {
    const first = await serve();
    const player = await playerInRoom(`http://127.0.0.1:${first.port}`);
    // As after kill -9: connections just drop.
    first.http.closeAllConnections();
    await new Promise<void>((r) => first.app.io.close(() => r()));
    expect(player.errors.map((e) => e.code)).not.toContain('SERVER_RESTARTING');

    const second = await serve(first.port);
    cleanups.push(() => second.app.shutdown());
    await expect.poll(() => player.left(), { timeout: 20_000, interval: 100 }).toBe(1);
    expect(player.errors.at(-1)).toEqual({ code: 'ROOM_NOT_FOUND', message: SERVER_RESTARTED_MESSAGE });
  });
});
