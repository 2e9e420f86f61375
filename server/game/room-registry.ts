/** All rooms of this server, by code. Creates rooms with fresh codes and forgets empty ones. */
import type { GameSettings } from '../../shared/protocol.ts';
import { Room, type RoomDeps, type RoomListener } from './room.ts';
import { generateRoomCode, type RandomIndex } from './room-code.ts';

export interface RoomRegistryDeps extends Omit<RoomDeps, 'listener'> {
  listener: RoomListener;
  randomIndex?: RandomIndex;
  /** Settings of a new room before the host changes them (e.g. the default prompt set of the served model). */
  defaultSettings: () => GameSettings;
  /** A code reserved elsewhere (cluster mode: claimed in Redis); null or absent: drawn here. */
  newCode?: () => string | null;
}

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly deps: RoomRegistryDeps) {}

  create(settingsPatch?: Partial<GameSettings>): Room {
    let code = this.deps.newCode?.() ?? generateRoomCode(this.deps.randomIndex);
    for (let tries = 0; this.rooms.has(code); tries++) {
      if (tries > 1000) throw new Error('could not find a free room code');
      code = generateRoomCode(this.deps.randomIndex);
    }
    const base = this.deps.defaultSettings();
    const settings: GameSettings = {
      rounds: settingsPatch?.rounds ?? base.rounds,
      roundSeconds: settingsPatch?.roundSeconds ?? base.roundSeconds,
      emotions: settingsPatch?.emotions ? [...settingsPatch.emotions] : [...base.emotions],
    };
    const listener: RoomListener = {
      ...this.deps.listener,
      empty: (r) => {
        if (this.rooms.get(r.code) === r) this.rooms.delete(r.code);
        this.deps.listener.empty(r);
      },
    };
    const room = new Room(code, settings, { ...this.deps, listener });
    this.rooms.set(code, room);
    return room;
  }

  get(code: string): Room | undefined {
    return this.rooms.get(code);
  }

  /** Removes a room that never got a member (e.g. its creator's join failed). */
  discard(room: Room): void {
    if (room.memberCount === 0 && this.rooms.get(room.code) === room) {
      room.close();
      this.rooms.delete(room.code);
    }
  }

  all(): Room[] {
    return [...this.rooms.values()];
  }

  get size(): number {
    return this.rooms.size;
  }
}
