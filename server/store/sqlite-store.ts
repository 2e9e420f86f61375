/** SQLite leaderboard store (better-sqlite3): one file in the data folder, WAL mode, created on first use. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Emotion } from '../../shared/emotions.ts';
import type { GameSettings, LeaderboardEntry } from '../../shared/protocol.ts';
import { quickCheck } from './sqlite-integrity.ts';
import {
  type GameRecord,
  type LeaderboardQuery,
  type LeaderboardStore,
  markLookalikes,
  periodStart,
  playerTag,
  type RankedIdentity,
  rankIdentity,
  roundAverage,
} from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS games (
  id TEXT PRIMARY KEY,
  room_code TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  rounds INTEGER NOT NULL,
  settings_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS games_finished_at ON games (finished_at);
CREATE TABLE IF NOT EXISTS game_players (
  game_id TEXT NOT NULL REFERENCES games (id) ON DELETE CASCADE,
  player_id TEXT NOT NULL,
  nickname TEXT NOT NULL,
  score INTEGER NOT NULL,
  per_emotion_best_json TEXT NOT NULL,
  PRIMARY KEY (game_id, player_id)
);
CREATE INDEX IF NOT EXISTS game_players_player ON game_players (player_id);
CREATE TABLE IF NOT EXISTS players (
  player_id TEXT PRIMARY KEY,
  nickname TEXT NOT NULL,
  seen_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ranked_identities (
  player_id TEXT PRIMARY KEY,
  board_name TEXT NOT NULL,
  address_key TEXT NOT NULL,
  registered_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ranked_identities_address ON ranked_identities (address_key, registered_at);
`;

/** Columns added after the first schema (ranked games and identities); files made before get them on open. */
const ADDED_COLUMNS: readonly { table: string; column: string; definition: string }[] = [
  { table: 'games', column: 'ranked', definition: 'INTEGER NOT NULL DEFAULT 0' },
  { table: 'game_players', column: 'ranked', definition: 'INTEGER NOT NULL DEFAULT 0' },
  { table: 'game_players', column: 'address_key', definition: 'TEXT' },
];

interface GameRow {
  id: string;
  room_code: string;
  started_at: number;
  finished_at: number;
  rounds: number;
  settings_json: string;
  ranked: number;
}
interface PlayerRow {
  player_id: string;
  nickname: string;
  score: number;
  per_emotion_best_json: string;
  address_key: string | null;
}
interface IdentityRow {
  player_id: string;
  board_name: string;
  address_key: string;
  registered_at: number;
}
interface BoardRow {
  player_id: string;
  nickname: string;
  games: number;
  total: number;
  best: number;
}

export class SqliteLeaderboardStore implements LeaderboardStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly insertGame: Database.Statement;
  private readonly insertPlayer: Database.Statement;
  private readonly upsertName: Database.Statement;
  private readonly selectGame: Database.Statement<[string], GameRow>;
  private readonly selectPlayers: Database.Statement<[string], PlayerRow>;
  private readonly rankedBoard: Database.Statement<[number, number], BoardRow>;
  private readonly practiceBoard: Database.Statement<[number, number], BoardRow>;
  private readonly selectIdentity: Database.Statement<[string], IdentityRow>;
  private readonly selectAddressRegistrations: Database.Statement<[string], { registered_at: number }>;
  private readonly insertIdentity: Database.Statement;
  private readonly saveTx: (game: GameRecord) => void;

  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 2000');
    this.db.exec(SCHEMA);
    this.addMissingColumns();
    this.insertGame = this.db.prepare(
      'INSERT OR IGNORE INTO games (id, room_code, started_at, finished_at, rounds, settings_json, ranked) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertPlayer = this.db.prepare(
      `INSERT OR IGNORE INTO game_players (game_id, player_id, nickname, score, per_emotion_best_json, ranked, address_key)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectIdentity = this.db.prepare('SELECT * FROM ranked_identities WHERE player_id = ?');
    this.selectAddressRegistrations = this.db.prepare(
      'SELECT registered_at FROM ranked_identities WHERE address_key = ?',
    );
    this.insertIdentity = this.db.prepare(
      `INSERT INTO ranked_identities (player_id, board_name, address_key, registered_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (player_id) DO UPDATE SET board_name = excluded.board_name, registered_at = excluded.registered_at
       WHERE excluded.registered_at < ranked_identities.registered_at`,
    );
    this.upsertName = this.db.prepare(
      `INSERT INTO players (player_id, nickname, seen_at) VALUES (?, ?, ?)
       ON CONFLICT (player_id) DO UPDATE SET nickname = excluded.nickname, seen_at = excluded.seen_at
       WHERE excluded.seen_at >= players.seen_at`,
    );
    this.selectGame = this.db.prepare('SELECT * FROM games WHERE id = ?');
    this.selectPlayers = this.db.prepare(
      'SELECT player_id, nickname, score, per_emotion_best_json, address_key FROM game_players WHERE game_id = ? ORDER BY score DESC, player_id',
    );
    // Ranked: the best average of the identity's ranked games (all its games count for games
    // played and points), under the identity's registered name.
    this.rankedBoard = this.db.prepare(
      `SELECT gp.player_id AS player_id, ri.board_name AS nickname, COUNT(*) AS games, SUM(gp.score) AS total,
              MAX(CASE WHEN gp.ranked = 1 THEN CAST(gp.score AS REAL) / g.rounds END) AS best
       FROM game_players gp
       JOIN games g ON g.id = gp.game_id
       JOIN ranked_identities ri ON ri.player_id = gp.player_id
       WHERE g.finished_at >= ? AND g.rounds > 0
       GROUP BY gp.player_id
       HAVING best > 0
       ORDER BY best DESC, total DESC, games DESC, gp.player_id
       LIMIT ?`,
    );
    // Practice: every game, under the latest nickname.
    this.practiceBoard = this.db.prepare(
      `SELECT gp.player_id AS player_id, p.nickname AS nickname, COUNT(*) AS games, SUM(gp.score) AS total,
              MAX(CAST(gp.score AS REAL) / g.rounds) AS best
       FROM game_players gp
       JOIN games g ON g.id = gp.game_id
       JOIN players p ON p.player_id = gp.player_id
       WHERE g.finished_at >= ? AND g.rounds > 0
       GROUP BY gp.player_id
       HAVING best > 0
       ORDER BY best DESC, total DESC, games DESC, gp.player_id
       LIMIT ?`,
    );
    this.saveTx = this.db.transaction((game: GameRecord) => {
      const inserted = this.insertGame.run(
        game.id,
        game.roomCode,
        game.startedAt,
        game.finishedAt,
        game.rounds,
        JSON.stringify(game.settings),
        game.ranked ? 1 : 0,
      );
      if (inserted.changes === 0) return;
      for (const p of game.players) {
        const known = this.selectIdentity.get(p.playerId);
        const fromAddress = p.addressKey
          ? this.selectAddressRegistrations.all(p.addressKey).map((r) => r.registered_at)
          : [];
        const verdict = rankIdentity(game, p, known ? identityOf(known) : null, fromAddress);
        const r = verdict.register;
        if (r) this.insertIdentity.run(r.playerId, r.boardName, r.addressKey, r.registeredAt);
        this.insertPlayer.run(
          game.id,
          p.playerId,
          p.nickname,
          p.score,
          JSON.stringify(p.perEmotionBest),
          verdict.ranked ? 1 : 0,
          p.addressKey ?? null,
        );
        this.upsertName.run(p.playerId, p.nickname, game.finishedAt);
      }
    });
  }

  async saveGame(game: GameRecord): Promise<void> {
    this.saveTx(game);
  }

  async getGame(id: string): Promise<GameRecord | null> {
    const g = this.selectGame.get(id);
    if (!g) return null;
    return {
      id: g.id,
      roomCode: g.room_code,
      startedAt: g.started_at,
      finishedAt: g.finished_at,
      rounds: g.rounds,
      settings: JSON.parse(g.settings_json) as GameSettings,
      ranked: g.ranked === 1,
      players: this.selectPlayers.all(id).map((p) => ({
        playerId: p.player_id,
        nickname: p.nickname,
        score: p.score,
        perEmotionBest: JSON.parse(p.per_emotion_best_json) as Partial<Record<Emotion, number>>,
        ...(p.address_key === null ? {} : { addressKey: p.address_key }),
      })),
    };
  }

  async leaderboard(query: LeaderboardQuery): Promise<LeaderboardEntry[]> {
    const since = periodStart(query);
    const board = query.board === 'practice' ? this.practiceBoard : this.rankedBoard;
    const rows = board.all(Number.isFinite(since) ? since : -1, query.limit);
    return markLookalikes(
      rows.map((r, i) => ({
        rank: i + 1,
        playerId: r.player_id,
        nickname: r.nickname,
        gamesPlayed: r.games,
        totalPoints: r.total,
        bestAveragePerRound: roundAverage(r.best),
        tag: playerTag(r.player_id),
        lookalike: false,
      })),
    );
  }

  private addMissingColumns(): void {
    for (const { table, column, definition } of ADDED_COLUMNS) {
      const columns = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
      if (!columns.some((c) => c.name === column))
        this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    }
  }

  /** What PRAGMA quick_check finds wrong with the file (empty when sound); see sqlite-integrity.ts. */
  integrityProblems(): string[] {
    return quickCheck(this.db);
  }

  /** Throws when the file is damaged (the spool's health probe before it replays games). */
  async check(): Promise<void> {
    const problems = this.integrityProblems();
    if (problems.length > 0) throw new Error(`${this.file} is damaged: ${problems.slice(0, 3).join('; ')}`);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
    }
  }
}

function identityOf(row: IdentityRow): RankedIdentity {
  return {
    playerId: row.player_id,
    boardName: row.board_name,
    addressKey: row.address_key,
    registeredAt: row.registered_at,
  };
}
