/**
 * The short way in for protocol 3+ frames: a frame message is handed to the frame handler as
 * soon as `ws` has read it, instead of walking Engine.IO (packet decoding, four events) and
 * Socket.IO (parser, client, namespace socket, middlewares, a `process.nextTick`, the listener
 * wrapper) first. At 300 players that walk was about a tenth of the main thread for an event
 * whose bytes already say everything (docs/capacity.md, "The frame tap and direct writes").
 *
 * How: both libraries name the extension points this uses. Engine.IO's `wsEngine` server
 * option picks the WebSocket server class, and `ws`'s `WebSocket` option picks the class of
 * its connections; this module's connection class lets a frame message go to a tap, when one
 * is set, and emits everything else (and every frame before the tap is set) as `ws` always
 * does, so the Socket.IO path (frame-parser.ts) still handles those. Nothing on the wire changes.
 *
 * Order: a Socket.IO event is dispatched one `process.nextTick` after it is read; a tapped
 * frame is handled at once. So a frame read right after a control event (in the same chunk)
 * can be handled before it. Frames only count while a round runs, long after the join and
 * start events that make them count, so the game never depends on that order.
 */
import { type ServerOptions, WebSocket, WebSocketServer } from 'ws';
import { isFramePacket } from '../../shared/frame-packet.ts';

/**
 * What a tapped connection does with a frame message (bytes as `ws` read them: a Buffer): true
 * when it took the frame, false to let it go the Socket.IO way after all (in cluster mode, a
 * socket whose room is on another node: the gateway's middleware forwards its frames).
 */
export type FrameTap = (bytes: Uint8Array) => boolean;

export class FrameTapWebSocket extends WebSocket {
  /** Set once the connection's Socket.IO socket is ready for frames; undefined before and after. */
  frameTap: FrameTap | undefined = undefined;
  /**
   * Binary messages still owed to a Socket.IO packet that announced attachments (a protocol 1 or
   * 2 frame is such a packet, and its attachment is the bare crop, which may well start with the
   * tag's byte value). They belong to Socket.IO's decoder, whatever their first byte.
   */
  private attachmentsOwed = 0;

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    // `ws` emits ('message', data, isBinary); data is a Buffer for binary messages by default.
    if (event === 'message') {
      const data = args[0];
      if (args[1] !== true) this.attachmentsOwed = announcedAttachments(data);
      else if (this.attachmentsOwed > 0) this.attachmentsOwed--;
      else if (
        this.frameTap !== undefined &&
        data instanceof Uint8Array &&
        isFramePacket(data) &&
        this.frameTap(data)
      ) {
        return true;
      }
    }
    return super.emit(event, ...args);
  }

  /**
   * Sends a text message as one ready-made WebSocket frame in one buffer: `send` hands the socket
   * a header buffer and the string, which the socket's stream then writes with `writev` after
   * corking, converting the string on the way; this is one `write` of bytes encoded once. It uses
   * the sender's `sendFrame`, the way Engine.IO itself sends its pre-encoded broadcast frames, and
   * so only where Engine.IO does (no per-message compression); anything else goes through `send`.
   */
  sendText(text: string): void {
    const sender = (this as unknown as { _sender?: PreEncodedSender })._sender;
    // At most 3 UTF-8 bytes per UTF-16 unit: a frame whose length fits in 16 bits for sure.
    if (typeof sender?.sendFrame !== 'function' || this.extensions !== '' || text.length > 21_000) {
      this.send(text, noCallback);
      return;
    }
    const buffer = Buffer.allocUnsafe(4 + 3 * text.length);
    const length = buffer.write(text, 4, 'utf8');
    // FIN and the text opcode, then a 7-bit length, or 126 and a 16-bit length (RFC 6455, 5.2).
    let start = 0;
    if (length <= 125) {
      start = 2;
      buffer[3] = length;
    } else {
      buffer[1] = 126;
      buffer.writeUInt16BE(length, 2);
    }
    buffer[start] = 0x81;
    sender.sendFrame([buffer.subarray(start, 4 + length)], noCallback);
  }
}

/** The part of `ws`'s Sender that Engine.IO also uses for frames it encoded itself. */
interface PreEncodedSender {
  sendFrame(list: Buffer[], cb: (err?: Error) => void): void;
}

// A failed write is also an error on the connection, which Engine.IO's transport handles.
const noCallback = () => {};

/**
 * How many binary attachments follow a text message: Socket.IO's BINARY_EVENT and BINARY_ACK
 * packets (types 5 and 6, after Engine.IO's message type 4) say it before a `-`, as in
 * `451-["frame:send",…]`. Anything else announces none.
 */
export function announcedAttachments(data: unknown): number {
  const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('latin1', 0, 12) : '';
  if (text[0] !== '4' || (text[1] !== '5' && text[1] !== '6')) return 0;
  const dash = text.indexOf('-', 2);
  const count = dash > 2 ? Number(text.slice(2, dash)) : 0;
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/** For Engine.IO's `wsEngine` option: the default `ws` server, with FrameTapWebSocket connections. */
export class FrameTapServer extends WebSocketServer {
  constructor(options?: ServerOptions, callback?: () => void) {
    super({ ...options, WebSocket: FrameTapWebSocket }, callback);
  }
}

/**
 * The parts of an Engine.IO connection the tap reads: its transport, and that transport's
 * `ws` connection when it is a WebSocket (Engine.IO keeps it in the public `socket` field).
 */
interface EngineConnection {
  transport: { name: string; socket?: unknown };
  on(event: 'upgrade', listener: () => void): unknown;
}

/**
 * Sends the connection's frame messages to `tap` from now on, on its WebSocket transport or,
 * for a connection that starts on polling, once it upgrades. Returns the undo (for disconnect).
 * A connection that is not a FrameTapWebSocket (another wsEngine) keeps the Socket.IO path.
 */
export function tapFrames(conn: EngineConnection, tap: FrameTap): () => void {
  let tapped: FrameTapWebSocket | undefined;
  const attach = () => {
    const ws = conn.transport.socket;
    if (conn.transport.name === 'websocket' && ws instanceof FrameTapWebSocket) {
      ws.frameTap = tap;
      tapped = ws;
    }
  };
  attach();
  if (!tapped) conn.on('upgrade', attach);
  return () => {
    if (tapped) tapped.frameTap = undefined;
    tapped = undefined;
  };
}
