/**
 * server/net/local-delivery.ts on real Socket.IO servers: per-frame events reach the player but
 * are neither kept for replay nor published to Redis, while round results still survive a
 * reconnect (connection state recovery) and still reach players on other nodes.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { SessionAwareAdapter } from 'socket.io-adapter';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { withLocalDelivery } from '../../../server/net/local-delivery.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/13';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startServer(make: (http: HttpServer) => Server): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = make(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        io.close(() => r());
      }),
  );
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

function client(url: string): ClientSocket {
  const c = connect(url, { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 100 });
  cleanups.push(() => {
    c.disconnect();
  });
  return c;
}

const nextConnection = (io: Server) => new Promise<ServerSocket>((r) => io.once('connection', r));
const nextEvent = <T>(c: ClientSocket, ev: string) => new Promise<T>((r) => c.once(ev, r));

/** The replay buffer of the in-memory session-aware adapter. */
const stored = (io: Server) => (io.of('/').adapter as unknown as { packets: unknown[] }).packets.length;

describe('local delivery (single node, connection state recovery on)', () => {
  const recovering = (http: HttpServer) =>
    new Server(http, {
      connectionStateRecovery: { maxDisconnectionDuration: 10_000, skipMiddlewares: true },
      adapter: withLocalDelivery(SessionAwareAdapter, 'single-node'),
    });

  it('delivers frame results and patches without keeping them for replay; keeps round results', async () => {
    const { io, url } = await startServer(recovering);
    const c = client(url);
    const s = await nextConnection(io);
    s.join('room:ABCD');

    const results: unknown[] = [];
    c.on('frame:result', (r) => results.push(r));
    const patch = nextEvent(c, 'room:patch');
    for (let seq = 0; seq < 50; seq++) s.emit('frame:result', { seq });
    io.to([s.id]).emit('room:patch', { rev: 1 });
    expect(await patch).toEqual({ rev: 1 });
    await expect.poll(() => results.length).toBe(50);
    expect(results[49]).toEqual({ seq: 49 });
    expect(stored(io)).toBe(0);

    const roundResults = nextEvent(c, 'round:results');
    io.to('room:ABCD').emit('round:results', { round: 1 });
    s.emit('game:final', { done: true });
    expect(await roundResults).toEqual({ round: 1 });
    expect(stored(io)).toBe(2);
  });

  it('a player who reconnects within the grace still gets the round results sent while away, not old frame results', async () => {
    const { io, url } = await startServer(recovering);
    const c = client(url);
    const s = await nextConnection(io);
    s.join('room:ABCD');
    // The client needs one stored packet to know its offset before the gap.
    const hello = nextEvent(c, 'round:results');
    io.to('room:ABCD').emit('round:results', { round: 0 });
    await hello;

    const gone = new Promise<void>((r) => s.once('disconnect', () => r()));
    c.io.engine.close(); // a dropped connection, not a leave: the client reconnects
    await gone;
    io.to('room:ABCD').emit('round:results', { round: 1 });
    io.to('room:ABCD').emit('room:patch', { rev: 7 });

    const seen: string[] = [];
    c.onAny((ev) => seen.push(ev));
    const back = await nextConnection(io);
    expect(back.recovered).toBe(true);
    await expect.poll(() => seen).toContain('round:results');
    expect(seen).not.toContain('room:patch');
  });
});

describe('local delivery (cluster mode, Redis adapter)', () => {
  it('an emit to a socket of this node is not published to Redis; room broadcasts still reach the other node', async () => {
    const conns: Redis[] = [];
    const redis = () => {
      const r = new Redis(REDIS_URL, { lazyConnect: false });
      conns.push(r);
      return r;
    };
    cleanups.push(async () => {
      for (const r of conns) r.disconnect();
    });
    const key = `test-local-delivery-${process.pid}-${Date.now()}`;
    const node = (http: HttpServer) => {
      const io = new Server(http, {
        connectionStateRecovery: { maxDisconnectionDuration: 10_000, skipMiddlewares: true },
      });
      io.adapter(withLocalDelivery(createAdapter(redis(), redis(), { key }), 'cluster'));
      return io;
    };
    const a = await startServer(node);
    const b = await startServer(node);

    // Everything the adapters publish.
    const published: string[] = [];
    const spy = redis();
    await spy.psubscribe(`${key}*`);
    spy.on('pmessageBuffer', (_p: Buffer, channel: Buffer) => published.push(channel.toString()));

    const ca = client(a.url);
    const sa = await nextConnection(a.io);
    const cb = client(b.url);
    const sb = await nextConnection(b.io);
    sb.join('room:WXYZ');

    const results: unknown[] = [];
    ca.on('frame:result', (r) => results.push(r));
    for (let seq = 0; seq < 20; seq++) sa.emit('frame:result', { seq });
    a.io.to([sa.id]).emit('room:patch', { rev: 1 });
    sa.emit('server:error', { code: 'X' });
    await expect.poll(() => results.length).toBe(20);

    // A broadcast to a room with a member on node B still goes through Redis.
    const far = nextEvent(cb, 'round:results');
    a.io.to('room:WXYZ').emit('round:results', { round: 2 });
    expect(await far).toEqual({ round: 2 });
    await expect.poll(() => published.length).toBeGreaterThan(0);
    // Only that broadcast (and the adapters' own heartbeats/requests, which are not addressed
    // to a socket) was published: nothing addressed to node A's socket.
    expect(published.some((ch) => ch.includes(sa.id))).toBe(false);
  });
});
