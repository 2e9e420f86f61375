/** Frame format sent by the browser: a face crop as 48×48 uint8 grayscale, row-major. */
export const FRAME_WIDTH = 48;
export const FRAME_HEIGHT = 48;
export const FRAME_CHANNELS = 1;
export const FRAME_BYTES = FRAME_WIDTH * FRAME_HEIGHT * FRAME_CHANNELS; // 2304

export type FrameValidation = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/**
 * Accepts the binary shapes a frame can arrive in (socket.io gives Buffer in Node,
 * ArrayBuffer or typed arrays elsewhere) and checks the exact size. Pure: never throws.
 */
export function validateFrame(payload: unknown): FrameValidation {
  let bytes: Uint8Array;
  if (payload instanceof Uint8Array) {
    bytes = payload;
  } else if (payload instanceof ArrayBuffer) {
    bytes = new Uint8Array(payload);
  } else if (ArrayBuffer.isView(payload)) {
    bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  } else {
    return { ok: false, reason: `frame must be binary (got ${payload === null ? 'null' : typeof payload})` };
  }
  if (bytes.byteLength !== FRAME_BYTES) {
    return { ok: false, reason: `frame must be exactly ${FRAME_BYTES} bytes (got ${bytes.byteLength})` };
  }
  return { ok: true, bytes };
}
