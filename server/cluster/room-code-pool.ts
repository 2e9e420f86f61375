/**
 * Room codes claimed in Redis ahead of need. Creating a room is synchronous in the game core,
 * and a code must be unique across the cluster, so each node keeps a few codes it has already
 * claimed (SET NX, renewed by its heartbeat) and hands one out per new room.
 */
import { generateRoomCode } from '../game/room-code.ts';
import type { RedisPresence } from './presence.ts';

export class RoomCodePool {
  private readonly spares: string[] = [];
  private filling: Promise<void> | null = null;

  constructor(
    private readonly presence: RedisPresence,
    private readonly target = 4,
    private readonly generate: () => string = generateRoomCode,
  ) {}

  /** A claimed code, or null when none is ready (the caller then picks one itself). */
  take(): string | null {
    const code = this.spares.shift() ?? null;
    if (this.spares.length < this.target) void this.fill().catch(() => {});
    return code;
  }

  /** Resolves once at least one claimed code is ready. */
  async ensure(): Promise<void> {
    while (this.spares.length === 0) await this.fill();
  }

  /** Codes held but not yet used (renewed with the open rooms' codes). */
  get codes(): readonly string[] {
    return this.spares;
  }

  private fill(): Promise<void> {
    if (!this.filling) {
      this.filling = (async () => {
        try {
          for (let tries = 0; this.spares.length < this.target && tries < 50; tries++) {
            const code = this.generate();
            if (!this.spares.includes(code) && (await this.presence.claimCode(code))) this.spares.push(code);
          }
        } finally {
          this.filling = null;
        }
      })();
    }
    return this.filling;
  }
}
