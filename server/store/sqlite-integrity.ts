/**
 * Whether a SQLite leaderboard file can be trusted. A file with damaged pages opens fine and
 * even answers some queries; only writing to the damaged part fails ("database disk image is
 * malformed"), which used to drop a finished game with one log line. `PRAGMA quick_check` finds
 * the damage up front (O(pages), well under a second for a leaderboard).
 */
import type Database from 'better-sqlite3';

export class StoreDamagedError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `the leaderboard database ${file} is damaged (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}). ` +
        'Nothing was changed. Restore it from a backup, or move it aside to start an empty leaderboard; ' +
        'finished games waiting in unsaved-games.jsonl beside it are added once the store opens.',
    );
    this.name = 'StoreDamagedError';
  }
}

/** The problems `PRAGMA quick_check` reports (empty when the file is sound; a check that cannot run is a problem). */
export function quickCheck(db: Database.Database): string[] {
  try {
    const rows = db.pragma('quick_check(20)') as { quick_check: string }[];
    return rows.map((r) => r.quick_check).filter((p) => p !== 'ok');
  } catch (err) {
    return [(err as Error).message];
  }
}

/** True when an error from opening or using the file means the file itself is damaged. */
export function isDamage(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) ||
    /malformed|not a database/i.test((err as Error).message)
  );
}
