/**
 * Protocol 3's frame message: one binary WebSocket message per frame instead of Socket.IO's
 * two (a text header naming the event, then the bytes as an attachment). Pure: no I/O.
 *
 *   byte 0      FRAME_PACKET_TAG
 *   bytes 1–4   seq, unsigned 32-bit big-endian
 *   bytes 5…    the crop (FRAME_BYTES of 48×48 grey; other lengths are refused as FRAME_INVALID)
 *
 * Sent as a bare Engine.IO message (`socket.io.engine.send(bytes)`); the server's parser turns it
 * into the `frame:send` event `{ seq, data }` that protocol 1 and 2 clients emit, so everything after
 * the parser is the same for every version (docs/protocol.md, "Protocol versions").
 */
import { FRAME_BYTES } from './frame.ts';

/**
 * First byte of a frame message. A bare binary message was never valid Socket.IO (binary only
 * follows a header that announces it), so the tag cannot be confused with anything an older
 * client sends; it only guards against a client that sends some other binary by mistake.
 */
export const FRAME_PACKET_TAG = 0xf7;
export const FRAME_PACKET_HEADER_BYTES = 5;
export const FRAME_PACKET_BYTES = FRAME_PACKET_HEADER_BYTES + FRAME_BYTES;
/** Sequence numbers wrap at 2³²; a client sends at most 10 a second, so that is 13 years away. */
export const FRAME_PACKET_MAX_SEQ = 0xffff_ffff;

export function encodeFramePacket(seq: number, crop: Uint8Array): Uint8Array {
  if (!Number.isInteger(seq) || seq < 0 || seq > FRAME_PACKET_MAX_SEQ) {
    throw new RangeError(`seq must be an integer in 0..${FRAME_PACKET_MAX_SEQ} (got ${seq})`);
  }
  const out = new Uint8Array(FRAME_PACKET_HEADER_BYTES + crop.byteLength);
  out[0] = FRAME_PACKET_TAG;
  new DataView(out.buffer).setUint32(1, seq, false);
  out.set(crop, FRAME_PACKET_HEADER_BYTES);
  return out;
}

export function isFramePacket(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes[0] === FRAME_PACKET_TAG;
}

/**
 * The `frame:send` payload a tagged message stands for. A message too short to hold a seq gives
 * `seq: null`, so that the server refuses it like any other frame with a bad seq (the sender is
 * told, the connection stays). `data` is a view into `bytes`, not a copy.
 */
export function decodeFramePacket(bytes: Uint8Array): { seq: number | null; data: Uint8Array } {
  if (bytes.byteLength < FRAME_PACKET_HEADER_BYTES) return { seq: null, data: bytes.subarray(bytes.byteLength) };
  const seq = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1, false);
  return { seq, data: bytes.subarray(FRAME_PACKET_HEADER_BYTES) };
}
