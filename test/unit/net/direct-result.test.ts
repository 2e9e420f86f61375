/**
 * frame:result written straight to the connection (server/net/direct-result.ts): the bytes are
 * those Socket.IO's encoder would write, a protocol 4 patch rides in them as the result's
 * `patch`, and a socket that is gone neither hears anything nor uses up its patch.
 */
import { Socket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { sendFrameResult } from '../../../server/net/direct-result.ts';
import { FrameTapWebSocket } from '../../../server/net/frame-tap.ts';
import type { RidingPatch } from '../../../server/net/state-broadcaster.ts';
import type { ArenaSocket } from '../../../server/net/types.ts';
import type { FrameResult, RoomStatePatch } from '../../../shared/protocol.ts';

/**
 * A Socket.IO socket of the default namespace as far as sendFrameResult looks at it, its Engine.IO
 * connection on polling (everything goes through `write`) or on a WebSocket (what goes straight to
 * `ws` lands in `sentToWs`, with Engine.IO's message prefix).
 */
function localSocket(connected: boolean, transport: 'polling' | 'websocket' = 'polling', writable = true) {
  const written: string[] = [];
  const sentToWs: string[] = [];
  const ws = Object.create(FrameTapWebSocket.prototype) as FrameTapWebSocket;
  Object.defineProperty(ws, 'readyState', { value: FrameTapWebSocket.OPEN });
  Object.defineProperty(ws, 'sendText', { value: (s: string) => sentToWs.push(s) });
  const socket = Object.create(Socket.prototype) as ArenaSocket;
  Object.defineProperty(socket, 'connected', { value: connected });
  Object.defineProperty(socket, 'nsp', { value: { name: '/' } });
  Object.defineProperty(socket, 'conn', {
    value: {
      readyState: 'open',
      transport: { name: transport, writable, socket: transport === 'websocket' ? ws : undefined },
      write: (s: string) => written.push(s),
    },
  });
  return { socket, written, sentToWs };
}

const result: FrameResult = { seq: 7, probabilities: [0.1, 0.2, 0.3, 0.1, 0.1, 0.1, 0.1], match: 0.3, counted: true };
const patch: RoomStatePatch = {
  code: 'ABCDE',
  serverTime: 1,
  timeLeftMs: 900,
  players: [[1, { meter: 0.5 }]],
  base: 3,
  rev: 4,
};
const riding: RidingPatch = { patch, json: JSON.stringify(patch) };

/** Decodes what was written as socket.io-parser does: packet type 2 (EVENT), then the JSON array. */
const decode = (packet: string) => {
  expect(packet[0]).toBe('2');
  return JSON.parse(packet.slice(1)) as [string, FrameResult];
};

describe('sendFrameResult', () => {
  it('writes the event the default encoder would, with a riding patch as the last field', () => {
    const plain = localSocket(true);
    sendFrameResult(plain.socket, result);
    expect(plain.written).toEqual([`2${JSON.stringify(['frame:result', result])}`]);

    const withPatch = localSocket(true);
    let taken = 0;
    sendFrameResult(withPatch.socket, result, () => {
      taken++;
      return riding;
    });
    expect(taken).toBe(1);
    expect(decode(withPatch.written[0] as string)).toEqual(['frame:result', { ...result, patch }]);
  });

  it('a refusal carries a patch the same way', () => {
    const refused: FrameResult = {
      seq: -1,
      probabilities: [],
      match: 0,
      counted: false,
      refused: { code: 'STALE', message: 'a newer frame replaced this one' },
    };
    const s = localSocket(true);
    sendFrameResult(s.socket, refused, () => riding);
    expect(decode(s.written[0] as string)).toEqual(['frame:result', { ...refused, patch }]);
  });

  it('on a writable WebSocket the same bytes go straight to ws, else through Engine.IO behind what it holds', () => {
    const direct = localSocket(true, 'websocket', true);
    sendFrameResult(direct.socket, result, () => riding);
    expect(direct.written).toEqual([]);
    expect(direct.sentToWs).toHaveLength(1);
    const sent = direct.sentToWs[0] as string;
    expect(sent[0]).toBe('4');
    expect(decode(sent.slice(1))).toEqual(['frame:result', { ...result, patch }]);

    // Engine.IO's own write in progress: it may hold messages, so this one queues behind them.
    const busy = localSocket(true, 'websocket', false);
    sendFrameResult(busy.socket, result);
    expect(busy.sentToWs).toEqual([]);
    expect(busy.written).toEqual([`2${JSON.stringify(['frame:result', result])}`]);
  });

  it('a disconnected socket hears nothing and does not take its patch', () => {
    const s = localSocket(false);
    let taken = 0;
    sendFrameResult(s.socket, result, () => {
      taken++;
      return riding;
    });
    expect(s.written).toEqual([]);
    expect(taken).toBe(0);
  });

  it('a stand-in for a socket on another node gets the patch in its emitted result', () => {
    const emitted: unknown[][] = [];
    const standIn = { emit: (...args: unknown[]) => emitted.push(args) } as unknown as ArenaSocket;
    sendFrameResult(standIn, result, () => riding);
    expect(emitted).toEqual([['frame:result', { ...result, patch }]]);
  });
});
