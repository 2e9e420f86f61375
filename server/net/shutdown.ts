/**
 * A graceful stop: running rounds end at once (results published, finished games stored), the
 * frame queue and broadcaster stop, then every client of this node is told why its connection
 * is about to drop before the sockets close.
 */
import { ERROR_CODES } from '../../shared/protocol.ts';
import type { RoomRegistry } from '../game/room-registry.ts';
import type { FrameQueue } from './context.ts';
import type { StateBroadcaster } from './state-broadcaster.ts';
import type { ArenaServer } from './types.ts';

/** Time for the last round:results / game:final / server:error packets to leave before sockets close. */
const LAST_WORDS_MS = 100;

export async function closeGracefully(parts: {
  io: ArenaServer;
  rooms: RoomRegistry;
  frames: FrameQueue;
  broadcaster: StateBroadcaster;
  savesSettled: () => Promise<void>;
}): Promise<void> {
  for (const room of parts.rooms.all()) room.finishNow();
  await parts.savesSettled();
  parts.frames.close();
  parts.broadcaster.close();
  // This node's sockets only, also in cluster mode.
  parts.io.local.emit('server:error', {
    code: ERROR_CODES.SERVER_RESTARTING,
    message: 'the server is restarting; your finished games are saved. Reconnect in a moment.',
  });
  await new Promise((r) => setTimeout(r, LAST_WORDS_MS));
  await new Promise<void>((resolve) => {
    parts.io.close(() => resolve());
  });
}
