/**
 * Protocol 3 over real sockets (docs/protocol.md, "Protocol versions"): each frame is one bare
 * binary message (shared/frame-packet.ts), parsed into the same frame:send every version ends up
 * with, and answered exactly once in frame:result. What a client that sends bytes of its own
 * choosing gets: a refusal naming what is wrong, or — for binary that is not a frame at all —
 * the end of its own connection only.
 */
import { describe, expect, it } from 'vitest';
import { EMOTIONS, emotionId } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { encodeFramePacket, FRAME_PACKET_TAG } from '../../../shared/frame-packet.ts';
import type { JoinResult, RoomState } from '../../../shared/protocol.ts';
import {
  ask,
  type Bot,
  frameResults,
  markerEngine,
  markerFrame,
  newToken,
  serverForSuite,
  until,
  waitFor,
} from '../../helpers/server-harness.ts';

const v3 = { auth: { v: 3 } };

/** Sends raw bytes as one Engine.IO message, as the browser client sends a frame. */
const sendRaw = (socket: Bot, bytes: Uint8Array) => socket.io.engine.send(bytes);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The messages a socket puts on its connection (Engine.IO packets of type "message"). */
function messagesSent(socket: Bot): () => number {
  let n = 0;
  socket.io.engine.on('packetCreate', (p: { type: string }) => {
    if (p.type === 'message') n++;
  });
  return () => n;
}

describe('protocol 3: one binary message per frame', () => {
  const suite = serverForSuite({ engine: markerEngine(5) });
  const connect = suite.connect;

  /** A room with a 1-round game of `roundSeconds`; the host (protocol 3) and its results. */
  const roomWithHost = async (roundSeconds = 3) => {
    const host = await connect(v3);
    const got = frameResults(host);
    const created = await ask<JoinResult>(host, 'room:create', {
      nickname: 'Host',
      playerToken: newToken('h'),
      settings: { rounds: 1, roundSeconds, emotions: ['happy'] },
    });
    if (!created.ok) throw new Error(created.error.message);
    return { host, got, code: created.data.state.code };
  };

  const startRound = async (host: Bot) => {
    const round = waitFor(host, 'room:state', (s: RoomState) => s.phase === 'round');
    expect((await ask(host, 'game:start')).ok).toBe(true);
    await round;
  };

  it('scores a one-message frame like any other, and names the seq of every refusal', async () => {
    const outsider = await connect(v3);
    const outsiderResults = frameResults(outsider);
    sendRaw(outsider, encodeFramePacket(7, markerFrame(0, 1)));
    await until(() => outsiderResults.length === 1);
    expect(outsiderResults[0]).toMatchObject({ seq: 7, counted: false, refused: { code: 'NOT_IN_ROOM' } });

    const { host, got } = await roomWithHost();
    const messages = messagesSent(host);
    // In the lobby: a good frame is out of phase; a short crop and a packet too short for a seq are invalid.
    sendRaw(host, encodeFramePacket(1, markerFrame(0, 1)));
    sendRaw(host, encodeFramePacket(2, new Uint8Array(10)));
    sendRaw(host, Uint8Array.of(FRAME_PACKET_TAG, 0, 1));
    await until(() => got.length === 3);
    expect(got.map((r) => [r.seq, r.refused?.code])).toEqual([
      [1, 'WRONG_PHASE'],
      [2, 'FRAME_INVALID'],
      [-1, 'INVALID_PAYLOAD'],
    ]);
    expect(got[1]?.refused?.message).toMatch(/exactly 2304 bytes \(got 10\)/);

    await startRound(host);
    got.length = 0;
    const happy = emotionId('happy');
    const before = messages();
    for (let seq = 10; seq < 15; seq++) {
      sendRaw(host, encodeFramePacket(seq, markerFrame(happy, seq)));
      await sleep(150);
    }
    await until(() => got.length === 5);
    // Each frame was one message on the wire (Socket.IO's way is a header plus an attachment).
    expect(messages() - before).toBe(5);
    expect(got.map((r) => r.seq)).toEqual([10, 11, 12, 13, 14]);
    for (const r of got) {
      expect(r.refused).toBeUndefined();
      expect(r.probabilities).toHaveLength(EMOTIONS.length);
      expect(r.probabilities[happy]).toBeCloseTo(0.9, 3);
      expect(r.match).toBeCloseTo(0.9, 3);
      expect(r.counted).toBe(true);
    }
  });

  it('a still picture sent as one-message frames scores nothing; a moving face in the same room scores', async () => {
    const { host, got, code } = await roomWithHost(2);
    const honest = await connect(v3);
    expect((await ask(honest, 'room:join', { code, nickname: 'Honest', playerToken: newToken('o') })).ok).toBe(true);
    const roundOver = waitFor(host, 'round:results', () => true, 15_000);
    await startRound(host);
    got.length = 0;
    const happy = emotionId('happy');
    const still = markerFrame(happy, 3);
    for (let seq = 0; seq < 8; seq++) {
      sendRaw(host, encodeFramePacket(seq, still));
      sendRaw(honest, encodeFramePacket(seq, markerFrame(happy, seq)));
      await sleep(200);
    }
    // The first copy was counted until the second showed it is a still; every later one never
    // counts. (On a slow machine the last frames may arrive after the round: refused, not scored.)
    const scored = got.filter((r) => !r.refused);
    expect(scored.length).toBeGreaterThan(3);
    expect(scored.slice(1).every((r) => !r.counted && r.reason === 'replay')).toBe(true);
    const results = await roundOver;
    const points = (name: string) => results.entries.find((e) => e.nickname === name)?.points;
    expect(points('Host')).toBe(0);
    expect(points('Honest')).toBeGreaterThan(0);
  });

  it('a bare binary message that is not a frame closes only its own connection', async () => {
    const { host, got } = await roomWithHost(5);
    const stranger = await connect(v3);
    const closed = new Promise<string>((resolve) => stranger.once('disconnect', (reason) => resolve(reason)));
    sendRaw(stranger, Uint8Array.of(0x00, 1, 2, 3));
    expect(await closed).toMatch(/transport|parse|server/);

    await startRound(host);
    got.length = 0;
    sendRaw(host, encodeFramePacket(1, markerFrame(emotionId('happy'), 1)));
    await until(() => got.length === 1);
    expect(got[0]).toMatchObject({ seq: 1, counted: true });
    expect(host.connected).toBe(true);
  });

  it('random binary from a player in a round: every tagged message is answered once, the server stays up', async () => {
    const { host, got } = await roomWithHost(20);
    await startRound(host);
    got.length = 0;
    let state = 20261130;
    const rand = () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
    const SENT = 120;
    for (let i = 0; i < SENT; i++) {
      const kind = rand();
      // A third good frames, the rest crops of wrong lengths and packets too short for a seq.
      const length = kind < 0.33 ? FRAME_BYTES : Math.floor(rand() * 3 * FRAME_BYTES);
      const body = Uint8Array.from({ length }, () => Math.floor(rand() * 256));
      const packet = kind > 0.9 ? Uint8Array.of(FRAME_PACKET_TAG, ...body.subarray(0, 3)) : encodeFramePacket(i, body);
      sendRaw(host, packet);
      if (i % 10 === 9) await sleep(100);
    }
    await until(() => got.length === SENT, 20_000);
    await sleep(300);
    expect(got).toHaveLength(SENT);
    const codes = new Set(got.map((r) => r.refused?.code ?? 'scored'));
    for (const code of codes)
      expect(['scored', 'FRAME_INVALID', 'INVALID_PAYLOAD', 'RATE_LIMITED', 'STALE']).toContain(code);
    expect(codes.has('FRAME_INVALID')).toBe(true);
    expect(host.connected).toBe(true);
    expect((await fetch(`${suite.server.url}/healthz`)).status).toBe(200);
    expect((await ask(host, 'leaderboard:get', { period: 'all' })).ok).toBe(true);
  });

  it('protocol 1 and 2 clients in the same room keep their own way of sending frames', async () => {
    const { host, got, code } = await roomWithHost(5);
    const v2 = await connect({ auth: { v: 2 } });
    const v2Results = frameResults(v2);
    const v1 = await connect();
    for (const [s, name] of [
      [v2, 'Two'],
      [v1, 'One'],
    ] as const) {
      expect((await ask(s, 'room:join', { code, nickname: name, playerToken: newToken(name) })).ok).toBe(true);
    }
    await startRound(host);
    got.length = 0;
    const happy = emotionId('happy');
    sendRaw(host, encodeFramePacket(1, markerFrame(happy, 1)));
    v2.emit('frame:send', { seq: 1, data: markerFrame(happy, 2) });
    expect(await ask(v1, 'frame:send', { seq: 1, data: markerFrame(happy, 3) })).toEqual({ ok: true, data: null });
    await until(() => got.length === 1 && v2Results.length === 1);
    expect(got[0]).toMatchObject({ seq: 1, counted: true });
    expect(v2Results[0]).toMatchObject({ seq: 1, counted: true });

    // A crop whose first pixel has the frame tag's value (0xF7) is still just an attachment of
    // the protocol 1 or 2 frame that announced it: the short way in (server/net/frame-tap.ts)
    // must leave it to Socket.IO, or the frame is lost and the connection's parser stalls.
    const tagged = (n: number) => {
      const f = markerFrame(happy, n);
      f[0] = FRAME_PACKET_TAG;
      return f;
    };
    v2.emit('frame:send', { seq: 2, data: tagged(4) });
    expect(await ask(v1, 'frame:send', { seq: 2, data: tagged(5) })).toEqual({ ok: true, data: null });
    await until(() => v2Results.length === 2);
    expect(v2Results[1]?.seq).toBe(2);
    expect(v2Results[1]?.refused).toBeUndefined();
    expect(v2Results[1]?.probabilities).toHaveLength(7);
    // ...and both connections go on working: a control event and a frame after it are answered.
    expect((await ask(v1, 'game:start')).ok).toBe(false);
    v2.emit('frame:send', { seq: 3, data: markerFrame(happy, 6) });
    await until(() => v2Results.length === 3);
    expect(v2Results[2]).toMatchObject({ seq: 3, counted: true });
  });

  it('on long-polling frames go the Socket.IO way; after an upgrade to WebSocket they take the short way in', async () => {
    const { host, code } = await roomWithHost(5);
    // Stays on long-polling: every frame and result goes through Engine.IO's polling transport.
    const polling = await connect({ ...v3, transports: ['polling'], upgrade: false });
    // Starts on long-polling and upgrades to a WebSocket, as a browser behind some proxies does.
    const upgrading = await connect({ ...v3, transports: ['polling', 'websocket'] });
    for (const [s, name] of [
      [polling, 'Poll'],
      [upgrading, 'Up'],
    ] as const) {
      expect((await ask(s, 'room:join', { code, nickname: name, playerToken: newToken(name) })).ok).toBe(true);
    }
    await until(() => upgrading.io.engine.transport.name === 'websocket');
    expect(polling.io.engine.transport.name).toBe('polling');
    const pollingResults = frameResults(polling);
    const upgradedResults = frameResults(upgrading);
    await startRound(host);
    const tapped = async () => {
      const text = await (await fetch(`${suite.server.url}/metrics`)).text();
      return Number(text.match(/^emotion_arena_frames_tapped_total (\d+)/m)?.[1] ?? Number.NaN);
    };
    const before = await tapped();
    const happy = emotionId('happy');
    for (let seq = 1; seq <= 4; seq++) {
      sendRaw(polling, encodeFramePacket(seq, markerFrame(happy, seq)));
      sendRaw(upgrading, encodeFramePacket(seq, markerFrame(happy, 10 + seq)));
      await sleep(250);
    }
    await until(() => pollingResults.length === 4 && upgradedResults.length === 4);
    for (const results of [pollingResults, upgradedResults]) {
      expect(results.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      for (const r of results) expect(r).toMatchObject({ counted: true });
    }
    // Only the upgraded connection's frames came straight from the WebSocket.
    expect((await tapped()) - before).toBe(4);
  });
});
