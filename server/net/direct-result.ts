/**
 * Sends a frame's answer (frame:result) straight to the socket's Engine.IO connection.
 *
 * `socket.emit` with connection state recovery on goes emit → adapter.broadcast (our
 * local-delivery wrapper) → the in-memory adapter's room look-up → the encoder → the client →
 * the connection: a dozen calls, a Set or two and a flags object per message, for a message that
 * is never stored for replay anyway (TRANSIENT_EVENTS) and has exactly one addressee. At a few
 * thousand frames a second that walk was a measurable share of the main thread (docs/capacity.md).
 * This writes the same bytes the default encoder would (`2` = EVENT, default namespace, no ack
 * id, then the JSON array) with one call.
 *
 * A cluster stand-in (RemoteSocket: the player's connection is on another node) has no
 * connection here and keeps its own emit.
 *
 * Protocol 4: a room patch may ride along (`takePatch`: state-broadcaster.ts patchFor, asked only
 * once the result will really be written, so a disconnected socket does not use up its patch);
 * its JSON was encoded once for every result it rides on, and is spliced in as the result's last
 * field.
 */
import { Socket } from 'socket.io';
import type { FrameResult } from '../../shared/protocol.ts';
import { FrameTapWebSocket } from './frame-tap.ts';
import type { RidingPatch } from './state-broadcaster.ts';
import type { ArenaSocket } from './types.ts';

/** socket.io-parser's EVENT packet type, as the first character of an encoded packet. */
const EVENT_PREFIX = '2';

export function sendFrameResult(
  socket: ArenaSocket,
  result: FrameResult,
  takePatch: () => RidingPatch | undefined = () => undefined,
): void {
  if (!(socket instanceof Socket) || socket.nsp.name !== '/') {
    const riding = takePatch();
    socket.emit('frame:result', riding ? { ...result, patch: riding.patch } : result);
    return;
  }
  // A socket that disconnected (or was never connected) hears nothing, as with emit.
  if (!socket.connected) return;
  const riding = takePatch();
  const body = JSON.stringify(result);
  // body ends with the object's closing brace; `patch` is not one of FrameResult's other fields.
  const withPatch = riding ? `${body.slice(0, -1)},"patch":${riding.json}}` : body;
  writeMessage(socket.conn, `${EVENT_PREFIX}["frame:result",${withPatch}]`);
}

/** The parts of an Engine.IO connection writeMessage reads (public fields of engine.io 6). */
interface EngineConnection {
  readyState: string;
  transport: { name: string; writable: boolean; socket?: unknown };
  write(data: string): unknown;
}

/**
 * One Engine.IO message. On a writable WebSocket transport the text goes straight to the `ws`
 * connection with Engine.IO's message prefix (`4`): the bytes Engine.IO itself would send after a
 * packet object, three events and its encoder. Engine.IO only holds messages back while its
 * transport is not writable (its own write in progress; it flushes them when the transport turns
 * writable again), and `ws` sends messages in the order it gets them, so this cannot overtake
 * anything sent before. Otherwise (not writable, polling, closing) the message goes through
 * `write`, behind what Engine.IO holds.
 */
function writeMessage(conn: EngineConnection, text: string): void {
  const ws = conn.transport.socket;
  if (
    conn.transport.writable &&
    conn.readyState === 'open' &&
    conn.transport.name === 'websocket' &&
    ws instanceof FrameTapWebSocket &&
    ws.readyState === FrameTapWebSocket.OPEN
  ) {
    ws.sendText(`${ENGINE_MESSAGE_PREFIX}${text}`);
    return;
  }
  conn.write(text);
}

/** Engine.IO's MESSAGE packet type, as the first character of an encoded text packet. */
const ENGINE_MESSAGE_PREFIX = '4';
