/**
 * Which protocol version a socket speaks (shared/protocol.ts PROTOCOL_VERSIONS), from its
 * handshake: `auth.v`, else the query's `v`. Anything absent or unknown is 1, so clients written
 * before versions existed keep working unchanged.
 */
import { type ProtocolVersion, protocolVersionNamed } from '../../shared/protocol.ts';
import type { ArenaSocket } from './types.ts';

export function protocolFromHandshake(handshake: { auth?: unknown; query?: unknown }): ProtocolVersion {
  const fromAuth =
    typeof handshake.auth === 'object' && handshake.auth !== null ? (handshake.auth as { v?: unknown }).v : undefined;
  const fromQuery =
    typeof handshake.query === 'object' && handshake.query !== null
      ? (handshake.query as { v?: unknown }).v
      : undefined;
  return protocolVersionNamed(fromAuth ?? fromQuery) ?? 1;
}

/** The socket's version, read from its handshake once (and kept across connection state recovery). */
export function protocolOf(socket: Pick<ArenaSocket, 'data' | 'handshake'>): ProtocolVersion {
  socket.data.protocol ??= protocolFromHandshake(socket.handshake);
  return socket.data.protocol;
}
