/**
 * Finished games the leaderboard could not take, kept on disk until it can: one JSON line
 * per game, appended (a crash mid-write loses at most the line being written), bounded so a
 * store that stays down cannot fill the disk. Replaying rewrites the file with what is left,
 * through a temp file and a rename.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { GameRecord } from '../game/game-record.ts';

export const SPOOL_FILE = 'unsaved-games.jsonl';

export interface SpoolLimits {
  maxGames: number;
  maxBytes: number;
}

export const DEFAULT_SPOOL_LIMITS: SpoolLimits = { maxGames: 1000, maxBytes: 8 * 1024 * 1024 };

function isGameRecord(x: unknown): x is GameRecord {
  const g = x as Partial<GameRecord> | null;
  return (
    !!g &&
    typeof g === 'object' &&
    typeof g.id === 'string' &&
    typeof g.roomCode === 'string' &&
    typeof g.finishedAt === 'number' &&
    typeof g.rounds === 'number' &&
    Array.isArray(g.players)
  );
}

export class GameSpool {
  private games = 0;
  private bytes = 0;
  /** Lines that were not a game (a torn last line after a crash); reported once, dropped on the next rewrite. */
  readonly unreadable: number;

  constructor(
    readonly file: string,
    private readonly limits: SpoolLimits = DEFAULT_SPOOL_LIMITS,
  ) {
    const { games, unreadable } = this.parse();
    this.games = games.length;
    this.bytes = existsSync(file) ? readFileSync(file).length : 0;
    this.unreadable = unreadable;
  }

  get size(): number {
    return this.games;
  }

  /** Appends a game; false when the spool is full (the game is then lost, and the caller says so). */
  append(game: GameRecord): boolean {
    const line = `${JSON.stringify(game)}\n`;
    const n = Buffer.byteLength(line);
    if (this.games >= this.limits.maxGames || this.bytes + n > this.limits.maxBytes) return false;
    appendFileSync(this.file, line, { mode: 0o600 });
    this.games++;
    this.bytes += n;
    return true;
  }

  /** The spooled games, oldest first. */
  read(): GameRecord[] {
    return this.parse().games;
  }

  /** Keeps only `remaining` (the games a replay could not store). */
  replace(remaining: GameRecord[]): void {
    if (remaining.length === 0) {
      rmSync(this.file, { force: true });
      this.games = 0;
      this.bytes = 0;
      return;
    }
    const text = remaining.map((g) => `${JSON.stringify(g)}\n`).join('');
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.games = remaining.length;
    this.bytes = Buffer.byteLength(text);
  }

  private parse(): { games: GameRecord[]; unreadable: number } {
    if (!existsSync(this.file)) return { games: [], unreadable: 0 };
    const games: GameRecord[] = [];
    let unreadable = 0;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const g: unknown = JSON.parse(line);
        if (isGameRecord(g)) games.push(g);
        else unreadable++;
      } catch {
        unreadable++;
      }
    }
    return { games, unreadable };
  }
}
