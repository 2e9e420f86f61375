/**
 * What the game core's transitions mean on the wire: the RoomListener that broadcasts state
 * and results, stores finished games (game:final waits for the store, so players learn whether
 * their result was saved), and lets go of removed members' sockets and frames.
 */
import type { Donations } from '../donations/donations.ts';
import type { RoomListener } from '../game/room.ts';
import type { Logger } from '../logging.ts';
import type { ServerMetrics } from '../metrics.ts';
import { saveFinishedGame } from '../store/spooled-store.ts';
import type { LeaderboardStore } from '../store/types.ts';
import type { FrameQueue, Sessions } from './context.ts';
import { frameKey } from './frame-handlers.ts';
import type { StateBroadcaster } from './state-broadcaster.ts';
import { type ArenaServer, roomChannel } from './types.ts';

export interface RoomEventDeps {
  io: ArenaServer;
  broadcaster: StateBroadcaster;
  sessions: Sessions;
  frames: FrameQueue;
  store: LeaderboardStore;
  donations: Donations | null;
  metrics: ServerMetrics;
  log: Logger;
}

export interface RoomEvents {
  listener: RoomListener;
  /** Settles when every finished game handed to the store so far is stored or spooled. */
  savesSettled(): Promise<void>;
}

export function createRoomEvents(deps: RoomEventDeps): RoomEvents {
  const { io, broadcaster, sessions, metrics, log } = deps;
  const pendingSaves = new Set<Promise<void>>();

  const listener: RoomListener = {
    changed: (room) => broadcaster.changed(room),
    roundResults: (room, results) => {
      broadcaster.flush(room);
      io.to(roomChannel(room.code)).emit('round:results', results);
      deps.donations?.roundEnded(room.code, results);
    },
    gameFinished: (room, standings, record) => {
      broadcaster.flush(room);
      metrics.gamesFinished.inc();
      log.info(
        { room: room.code, game: record.id, rounds: record.rounds, players: record.players.length },
        'game finished',
      );
      const save = saveFinishedGame(deps.store, record)
        .then((outcome) => {
          if (outcome.saved) return;
          metrics.gamesUnsaved.inc();
          // room.final is this same object: players who rejoin the room see it too.
          standings.notSaved = outcome.reason;
          log.error({ game: record.id, spooled: outcome.spooled, reason: outcome.reason }, 'finished game not saved');
        })
        .finally(() => {
          io.to(roomChannel(room.code)).emit('game:final', standings);
          pendingSaves.delete(save);
        });
      pendingSaves.add(save);
    },
    memberRemoved: (room, memberId, reason) => {
      deps.frames.forget(frameKey(room.code, memberId));
      const socket = sessions.socketOf(room.code, memberId);
      sessions.forgetMember(room.code, memberId);
      if (socket) {
        if (reason === 'kicked') socket.emit('room:kicked', { reason: 'the host removed you from this room' });
        sessions.detach(socket);
      }
      log.info({ room: room.code, player: memberId, reason }, 'member removed');
    },
    empty: (room) => {
      broadcaster.forget(room.code);
      log.info({ room: room.code }, 'room closed (empty)');
    },
  };

  return {
    listener,
    savesSettled: async () => {
      await Promise.allSettled([...pendingSaves]);
    },
  };
}
