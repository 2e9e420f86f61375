/**
 * Protocol 2 over real sockets (docs/protocol.md, "Protocol versions"): a client that says `v: 2`
 * in its handshake sends frames without acknowledgements and gets exactly one frame:result per
 * frame — its score, or why it was refused — and takes the room's state as patches; a protocol 1
 * client in the same room keeps acknowledgements and whole states.
 */
import { describe, expect, it } from 'vitest';
import { RoomStateSync } from '../../../client/src/net/room-state-sync.ts';
import { emotionId } from '../../../shared/emotions.ts';
import type { JoinResult, RoomState, RoomStatePatch } from '../../../shared/protocol.ts';
import {
  ask,
  frameResults,
  markerEngine,
  markerFrame,
  newToken,
  serverForSuite,
  until,
  waitFor,
} from '../../helpers/server-harness.ts';

const v2 = { auth: { v: 2 } };

const frame = (seq: number, n = seq) => ({ seq, data: markerFrame(emotionId('happy'), n) });

describe('protocol 2: one frame:result per frame, room state as patches', () => {
  // A slow model, so that a burst of frames has some superseded before it is scored.
  const suite = serverForSuite({ engine: markerEngine(40) });
  const connect = suite.connect;

  it('refuses frames in one frame:result with the reason, never on silence; protocol 1 keeps its acknowledgement', async () => {
    const outsider = await connect(v2);
    const outsiderResults = frameResults(outsider);
    outsider.emit('frame:send', frame(7));
    await until(() => outsiderResults.length === 1);
    expect(outsiderResults[0]).toMatchObject({
      seq: 7,
      counted: false,
      probabilities: [],
      refused: { code: 'NOT_IN_ROOM' },
    });

    const host = await connect(v2);
    const hostResults = frameResults(host);
    const created = await ask<JoinResult>(host, 'room:create', {
      nickname: 'Host',
      playerToken: newToken('h'),
      settings: { rounds: 1, roundSeconds: 3, emotions: ['happy'] },
    });
    if (!created.ok) throw new Error(created.error.message);
    const classic = await connect();
    const classicResults = frameResults(classic);
    expect(
      (
        await ask(classic, 'room:join', {
          code: created.data.state.code,
          nickname: 'Classic',
          playerToken: newToken('c'),
        })
      ).ok,
    ).toBe(true);

    // In the lobby: protocol 2 hears WRONG_PHASE in frame:result, protocol 1 on the acknowledgement only.
    host.emit('frame:send', frame(1));
    (host as unknown as { emit(e: string, p: unknown): void }).emit('frame:send', { seq: 2, data: new Uint8Array(10) });
    (host as unknown as { emit(e: string, p: unknown): void }).emit('frame:send', 'not a frame');
    await until(() => hostResults.length === 3);
    expect(hostResults.map((r) => [r.seq, r.refused?.code])).toEqual([
      [1, 'WRONG_PHASE'],
      [2, 'FRAME_INVALID'],
      [-1, 'INVALID_PAYLOAD'],
    ]);
    const ack = await ask(classic, 'frame:send', frame(1));
    expect(ack).toMatchObject({ ok: false, error: { code: 'WRONG_PHASE' } });
    // A protocol 2 client that does pass an acknowledgement is answered on it, not twice.
    expect(await ask(host, 'frame:send', frame(3))).toMatchObject({ ok: false, error: { code: 'WRONG_PHASE' } });

    const round = waitFor(host, 'room:state', (s) => s.phase === 'round');
    expect((await ask(host, 'game:start')).ok).toBe(true);
    await round;
    hostResults.length = 0;
    // A burst of 15: 10 fit the per-second budget (the rest RATE_LIMITED); of those, frames the
    // slow model had not started on are superseded (STALE) by newer ones. Each gets one answer.
    for (let seq = 100; seq < 115; seq++) host.emit('frame:send', frame(seq));
    await until(() => hostResults.length === 15);
    await new Promise((r) => setTimeout(r, 300));
    expect(hostResults).toHaveLength(15);
    expect(new Set(hostResults.map((r) => r.seq)).size).toBe(15);
    const byCode = (code: string) => hostResults.filter((r) => r.refused?.code === code).length;
    const scored = hostResults.filter((r) => !r.refused);
    // 10 a second with a burst of 10, some of it spent in the lobby above.
    expect(byCode('RATE_LIMITED')).toBeGreaterThanOrEqual(3);
    expect(byCode('STALE')).toBeGreaterThan(0);
    expect(scored.length).toBeGreaterThan(0);
    expect(scored.length + byCode('STALE') + byCode('RATE_LIMITED')).toBe(15);
    for (const r of scored) expect(r.probabilities).toHaveLength(7);

    // Protocol 1: acknowledged, then scored.
    const accepted = await ask(classic, 'frame:send', frame(500, 9000));
    expect(accepted).toEqual({ ok: true, data: null });
    await until(() => classicResults.some((r) => r.seq === 500));
    expect(classicResults.every((r) => !r.refused)).toBe(true);
  });

  it('a protocol 2 client built from patches shows what a protocol 1 client gets whole', async () => {
    const host = await connect(v2);
    const sync = new RoomStateSync();
    let patches = 0;
    host.on('room:state', (s) => sync.whole(s));
    host.on('room:patch', (p: RoomStatePatch) => {
      patches++;
      sync.patch(p);
    });
    const created = await ask<JoinResult>(host, 'room:create', {
      nickname: 'Host2',
      playerToken: newToken('h2'),
      settings: { rounds: 1, roundSeconds: 3, emotions: ['happy'] },
    });
    if (!created.ok) throw new Error(created.error.message);
    sync.whole(created.data.state);
    const classic = await connect();
    let whole: RoomState | null = null;
    classic.on('room:state', (s) => {
      whole = s;
    });
    const joined = await ask<JoinResult>(classic, 'room:join', {
      code: created.data.state.code,
      nickname: 'Classic2',
      playerToken: newToken('c2'),
    });
    if (!joined.ok) throw new Error(joined.error.message);
    const round = waitFor(host, 'room:state', (s) => s.phase === 'round');
    expect((await ask(host, 'game:start')).ok).toBe(true);
    await round;
    // Happy and sad in turn keep the meter moving: most broadcasts of the round are patches.
    for (let seq = 0; seq < 12; seq++) {
      host.emit('frame:send', { seq, data: markerFrame(emotionId(seq % 3 ? 'happy' : 'sad'), seq * 13) });
      await new Promise((r) => setTimeout(r, 150));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(patches).toBeGreaterThan(3);
    const clockless = (s: RoomState | null) =>
      s && { ...s, serverTime: 0, rev: 0, round: s.round && { ...s.round, timeLeftMs: 0 } };
    expect(clockless(sync.current)).toEqual(clockless(whole));
    expect(sync.current?.players.find((p) => p.nickname === 'Host2')?.meter).toBeGreaterThan(0);
  });
});
