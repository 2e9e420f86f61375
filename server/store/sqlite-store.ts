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
  MIN_RANKED_ROUNDS,
  periodStart,
  playerTag,
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
`;

interface GameRow {
  id: string;
  room_code: string;
  started_at: number;
  finished_at: number;
  rounds: number;
  settings_json: string;
}
interface PlayerRow {
  player_id: string;
  nickname: string;
  score: number;
  per_emotion_best_json: string;
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
  private readonly board: Database.Statement<[number, number, number], BoardRow>;
  private readonly saveTx: (game: GameRecord) => void;

  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 2000');
    this.db.exec(SCHEMA);
    this.insertGame = this.db.prepare(
      'INSERT OR IGNORE INTO games (id, room_code, started_at, finished_at, rounds, settings_json) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertPlayer = this.db.prepare(
      'INSERT OR IGNORE INTO game_players (game_id, player_id, nickname, score, per_emotion_best_json) VALUES (?, ?, ?, ?, ?)',
    );
    this.upsertName = this.db.prepare(
      `INSERT INTO players (player_id, nickname, seen_at) VALUES (?, ?, ?)
       ON CONFLICT (player_id) DO UPDATE SET nickname = excluded.nickname, seen_at = excluded.seen_at
       WHERE excluded.seen_at >= players.seen_at`,
    );
    this.selectGame = this.db.prepare('SELECT * FROM games WHERE id = ?');
    this.selectPlayers = this.db.prepare(
      'SELECT player_id, nickname, score, per_emotion_best_json FROM game_players WHERE game_id = ? ORDER BY score DESC, player_id',
    );
    this.board = this.db.prepare(
      `SELECT gp.player_id AS player_id, p.nickname AS nickname, COUNT(*) AS games, SUM(gp.score) AS total,
              MAX(CASE WHEN g.rounds >= ? THEN CAST(gp.score AS REAL) / g.rounds END) AS best
       FROM game_players gp
       JOIN games g ON g.id = gp.game_id
       JOIN players p ON p.player_id = gp.player_id
       WHERE g.finished_at >= ?
       GROUP BY gp.player_id
       HAVING best IS NOT NULL
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
      );
      if (inserted.changes === 0) return;
      for (const p of game.players) {
        this.insertPlayer.run(game.id, p.playerId, p.nickname, p.score, JSON.stringify(p.perEmotionBest));
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
      players: this.selectPlayers.all(id).map((p) => ({
        playerId: p.player_id,
        nickname: p.nickname,
        score: p.score,
        perEmotionBest: JSON.parse(p.per_emotion_best_json) as Partial<Record<Emotion, number>>,
      })),
    };
  }

  async leaderboard(query: LeaderboardQuery): Promise<LeaderboardEntry[]> {
    const since = periodStart(query);
    const rows = this.board.all(MIN_RANKED_ROUNDS, Number.isFinite(since) ? since : -1, query.limit);
    return rows.map((r, i) => ({
      rank: i + 1,
      playerId: r.player_id,
      nickname: r.nickname,
      gamesPlayed: r.games,
      totalPoints: r.total,
      bestAveragePerRound: roundAverage(r.best),
      tag: playerTag(r.player_id),
      lookalike: false,
    }));
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
