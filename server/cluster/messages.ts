/**
 * What nodes say to each other over Redis pub/sub (each node reads one inbox channel).
 * A player's socket lives on its gateway node (where the load balancer put it); the room
 * lives on its owner node. The gateway forwards the socket's room events to the owner; the
 * owner answers acknowledgements, sends the socket direct messages, and tells the gateway
 * which room channel the socket is in. Room broadcasts travel through the Socket.IO Redis adapter.
 */

import type { ProtocolVersion } from '../../shared/protocol.ts';
import type { RoomSummary } from '../net/room-summary.ts';

/** The parts of a socket's handshake the owner needs to apply per-address rules as the gateway would. */
export interface ForwardedHandshake {
  address: string;
  headers: Record<string, string>;
  /** The client's protocol version (shared/protocol.ts); absent from a node that predates versions: 1. */
  v?: ProtocolVersion;
}

export type ClusterMessage =
  /** Gateway → owner: a client event of socket `sid`; `ack` is the gateway's id of the client's callback. */
  | { t: 'event'; gw: string; sid: string; ev: string; args: unknown[]; ack: number | null; hs: ForwardedHandshake }
  /** Gateway → owner: socket `sid` disconnected, or moved to a room elsewhere. */
  | { t: 'gone'; sid: string }
  /** Owner → gateway: the answer to acknowledgement `ack`. */
  | { t: 'ack'; ack: number; res: unknown }
  /** Owner → gateway: emit `ev` to socket `sid` only. */
  | { t: 'emit'; sid: string; ev: string; args: unknown[] }
  /** Owner → gateway: socket `sid` is now in room channel `ch`, whose room `owner` runs. */
  | { t: 'join'; sid: string; ch: string; owner: string }
  /** Owner → gateway: socket `sid` left room channel `ch`. */
  | { t: 'leave'; sid: string; ch: string }
  /** Any node → owner: the summary of room `code` (GET /api/rooms/:code), to answer to `from` under `id`. */
  | { t: 'lookup'; from: string; id: number; code: string }
  /** Owner → asking node: the answer to look-up `id` (null: no such room here). */
  | { t: 'found'; id: number; room: RoomSummary | null };

/** JSON with byte arrays as base64 (frames are 2,304 bytes of pixels). */
export function encodeMessage(m: ClusterMessage): string {
  return JSON.stringify(m, function (this: Record<string, unknown>, key, value: unknown) {
    // `this[key]` is the value before Buffer#toJSON turned it into { type, data }.
    const raw = key === '' ? value : this[key];
    if (raw instanceof Uint8Array)
      return { $b: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
    if (raw instanceof ArrayBuffer) return { $b: Buffer.from(raw).toString('base64') };
    return value;
  });
}

export function decodeMessage(text: string): ClusterMessage {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && '$b' in value && typeof (value as { $b: unknown }).$b === 'string') {
      return Buffer.from((value as { $b: string }).$b, 'base64');
    }
    return value;
  }) as ClusterMessage;
}
