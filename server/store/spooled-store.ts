/**
 * A leaderboard store that never loses a finished game silently. When the store under it
 * fails (damaged file, full disk, dead database), the game goes to the on-disk spool, the
 * store reports itself degraded (for /healthz), and the caller learns the game was not saved
 * (players see it on the final screen). While degraded it retries: a health probe, then the
 * spooled games oldest first; once all are in, it is healthy again. A spool left from an
 * earlier run is replayed at start.
 */
import { join } from 'node:path';
import type { GameRecord } from '../game/game-record.ts';
import type { Logger } from '../logging.ts';
import { GameSpool, SPOOL_FILE } from './game-spool.ts';
import type { LeaderboardQuery, LeaderboardStore } from './types.ts';

export type SaveOutcome = { saved: true } | { saved: false; reason: string; spooled: boolean };

export type StoreHealth =
  | { status: 'ok'; spooledGames: number }
  | { status: 'degraded'; reason: string; spooledGames: number };

export interface SpooledStoreOptions {
  log: Logger;
  /** Retry period while degraded. */
  retryMs?: number;
  /** A save that takes longer counts as failed (the game is spooled; a late success makes the replay a no-op). */
  saveTimeoutMs?: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 200);
}

export class SpooledStore implements LeaderboardStore {
  readonly kind: string;
  private degradedReason: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private replaying: Promise<void> | null = null;
  private readonly retryMs: number;
  private readonly saveTimeoutMs: number;
  private closed = false;

  constructor(
    private readonly inner: LeaderboardStore,
    private readonly spool: GameSpool,
    private readonly options: SpooledStoreOptions,
  ) {
    this.kind = inner.kind;
    this.retryMs = options.retryMs ?? 15_000;
    this.saveTimeoutMs = options.saveTimeoutMs ?? 5000;
    if (spool.unreadable > 0) {
      options.log.warn({ file: spool.file, lines: spool.unreadable }, 'spool lines that are not games were skipped');
    }
    if (spool.size > 0) {
      options.log.warn({ file: spool.file, games: spool.size }, 'finished games waiting in the spool; storing them');
      this.degrade('finished games from an earlier failure are waiting to be stored');
      void this.replay();
    }
  }

  health(): StoreHealth {
    return this.degradedReason === null
      ? { status: 'ok', spooledGames: this.spool.size }
      : { status: 'degraded', reason: this.degradedReason, spooledGames: this.spool.size };
  }

  /** Stores a finished game, or spools it and says why it is not stored. */
  async save(game: GameRecord): Promise<SaveOutcome> {
    try {
      await withTimeout(this.inner.saveGame(game), this.saveTimeoutMs, 'the leaderboard store');
      return { saved: true };
    } catch (err) {
      const why = message(err);
      this.options.log.error({ err: why, game: game.id }, 'could not store the finished game; spooling it');
      this.degrade(why);
      let spooled = false;
      try {
        spooled = this.spool.append(game);
      } catch (spoolErr) {
        this.options.log.error({ err: message(spoolErr), file: this.spool.file }, 'could not write the spool');
      }
      if (!spooled)
        this.options.log.error({ game: game.id, file: this.spool.file }, 'spool full or unwritable: game lost');
      return {
        saved: false,
        spooled,
        reason: spooled
          ? 'the leaderboard is unavailable right now; the game is kept and will be added when it is back'
          : 'the leaderboard is unavailable and its backlog is full; this game will not appear on it',
      };
    }
  }

  async saveGame(game: GameRecord): Promise<void> {
    const r = await this.save(game);
    if (!r.saved) throw new Error(r.reason);
  }

  getGame(id: string): Promise<GameRecord | null> {
    return this.inner.getGame(id);
  }

  leaderboard(query: LeaderboardQuery) {
    return this.inner.leaderboard(query);
  }

  async check(): Promise<void> {
    await this.inner.check?.();
  }

  /** One retry: probe the store, then store spooled games oldest first, stopping at the first failure. */
  replay(): Promise<void> {
    this.replaying ??= this.doReplay().finally(() => {
      this.replaying = null;
    });
    return this.replaying;
  }

  private async doReplay(): Promise<void> {
    try {
      await withTimeout(this.inner.check?.() ?? Promise.resolve(), this.saveTimeoutMs, 'the leaderboard store');
    } catch (err) {
      this.degradedReason = message(err);
      return;
    }
    const games = this.spool.read();
    let stored = 0;
    try {
      for (const g of games) {
        await withTimeout(this.inner.saveGame(g), this.saveTimeoutMs, 'the leaderboard store');
        stored++;
      }
    } catch (err) {
      this.degradedReason = message(err);
    }
    if (stored > 0) {
      this.spool.replace(games.slice(stored));
      this.options.log.info({ stored, left: games.length - stored }, 'spooled games stored');
    }
    if (stored === games.length) this.recover();
  }

  private degrade(reason: string): void {
    this.degradedReason = reason;
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setInterval(() => void this.replay(), this.retryMs);
    this.retryTimer.unref();
  }

  private recover(): void {
    if (this.degradedReason !== null) this.options.log.info('leaderboard store healthy again');
    this.degradedReason = null;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    await this.replaying?.catch(() => {});
    await this.inner.close();
  }
}

/** Stores a finished game through any store: a SpooledStore says what happened, others succeed or throw. */
export async function saveFinishedGame(store: LeaderboardStore, game: GameRecord): Promise<SaveOutcome> {
  if (store instanceof SpooledStore) return store.save(game);
  try {
    await store.saveGame(game);
    return { saved: true };
  } catch (err) {
    return { saved: false, spooled: false, reason: `the leaderboard could not store it (${message(err)})` };
  }
}

export function storeHealth(store: LeaderboardStore): StoreHealth | null {
  return store instanceof SpooledStore ? store.health() : null;
}

/** The store the server runs on: `inner` behind a spool file in the data folder. */
export function withSpool(inner: LeaderboardStore, dataDir: string, log: Logger): SpooledStore {
  return new SpooledStore(inner, new GameSpool(join(dataDir, SPOOL_FILE)), { log });
}
