/**
 * Room codes claimed in Redis ahead of need. Creating a room is synchronous in the game core,
 * and a code must be unique across the cluster, so each node keeps a few codes it has already
 * claimed (SET NX, renewed by its heartbeat) and hands one out per new room.
 *
 * A creation first awaits `ensure()`, then its handler runs a little later (Socket.IO runs a
 * handler on the next tick after its middleware). A burst of creations would all see the same
 * spare codes between those two steps and the later ones would find none left, so `ensure()`
 * reserves a code for its caller: it resolves only when there is a spare nobody else has
 * reserved. A reservation is spent by `take()`, or lapses after `reservationMs` when the
 * creation failed before taking a code (a refused setting, say), so a failed creation cannot
 * hold a code forever.
 */
import { generateRoomCode } from '../game/room-code.ts';
import type { RedisPresence } from './presence.ts';

type ClaimCode = Pick<RedisPresence, 'claimCode'>;

export class RoomCodePool {
  private readonly spares: string[] = [];
  /** Expiry times of reservations made by ensure() and not yet spent by take(), oldest first. */
  private readonly reservations: number[] = [];
  private filling: Promise<void> | null = null;

  constructor(
    private readonly presence: ClaimCode,
    private readonly target = 4,
    private readonly generate: () => string = generateRoomCode,
    private readonly now: () => number = Date.now,
    private readonly reservationMs = 5000,
  ) {}

  /** A claimed code, or null when none is ready (the caller then picks one itself). */
  take(): string | null {
    this.prune();
    this.reservations.shift();
    const code = this.spares.shift() ?? null;
    this.topUp();
    return code;
  }

  /** Resolves once a claimed code is set aside for the caller's next take(). */
  async ensure(): Promise<void> {
    for (let round = 0; ; round++) {
      this.prune();
      if (this.spares.length > this.reservations.length) {
        this.reservations.push(this.now() + this.reservationMs);
        this.topUp();
        return;
      }
      const before = this.spares.length;
      await this.fill();
      // Redis answered but every code it tried was taken (or none could be claimed): avoid a hot loop.
      if (this.spares.length === before && this.spares.length <= this.reservations.length) {
        if (round >= 20) throw new Error('no room code could be claimed in Redis; try again');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Codes held but not yet used (renewed with the open rooms' codes). */
  get codes(): readonly string[] {
    return this.spares;
  }

  /** Reservations outstanding (for tests and the cluster view). */
  get reserved(): number {
    this.prune();
    return this.reservations.length;
  }

  private prune(): void {
    const t = this.now();
    while (this.reservations.length > 0 && (this.reservations[0] as number) <= t) this.reservations.shift();
  }

  /** Keeps `target` unreserved spares ready, in the background. */
  private topUp(): void {
    if (this.spares.length < this.target + this.reservations.length) void this.fill().catch(() => {});
  }

  private fill(): Promise<void> {
    if (!this.filling) {
      this.filling = (async () => {
        try {
          for (let tries = 0; this.spares.length < this.target + this.reservations.length && tries < 50; tries++) {
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
