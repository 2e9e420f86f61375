/** Server configuration from environment variables, validated with zod at start-up. */
import { resolve } from 'node:path';
import { z } from 'zod';
import { normalizeOrigin } from './net/origin-check.ts';

const boolish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const schema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    MODEL_DIR: z.string().min(1).default('models/emotion'),
    DATA_DIR: z.string().min(1).default('data'),
    LEADERBOARD_STORE: z.enum(['sqlite', 'memory']).default('sqlite'),
    INFERENCE_ENGINE: z.enum(['onnx', 'tfjs']).optional(),
    INFERENCE_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
    INFERENCE_MAX_BATCH: z.coerce.number().int().min(1).max(256).default(32),
    INFERENCE_GATHER_MS: z.coerce.number().min(0).max(50).default(4),
    TLS_CERT: z.string().min(1).optional(),
    TLS_KEY: z.string().min(1).optional(),
    ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    MODEL_WATCH: boolish.default(true),
    TRUST_PROXY: boolish.default(false),
    MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).max(10_000).default(32),
    ROOMS_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
    MAX_ROOMS: z.coerce.number().int().min(1).max(100_000).default(1000),
    ROOM_LOOKUPS_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30),
    FAILED_JOINS_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
    ALLOWED_ORIGINS: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((o) => o.trim())
          .filter((o) => o !== ''),
      )
      .refine((list) => list.every((o) => normalizeOrigin(o) === o.replace(/\/$/, '')), {
        message:
          'ALLOWED_ORIGINS must be comma-separated origins like https://game.example.org or http://10.0.0.5:3000',
      })
      .transform((list) => list.map((o) => normalizeOrigin(o) as string))
      .default([]),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
    // Cluster mode (docs/deployment.md): several nodes share Redis (presence, limits) and PostgreSQL (leaderboard).
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'REDIS_URL must look like redis://host:6379 (or rediss:// for TLS)')
      .optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must look like postgres://user:password@host:5432/database')
      .optional(),
    NODE_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'NODE_ID: letters, digits, "_", "." and "-", at most 64')
      .optional(),
    DRAIN_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(120_000),
  })
  .refine((c) => (c.TLS_CERT === undefined) === (c.TLS_KEY === undefined), {
    message: 'TLS_CERT and TLS_KEY must be set together (or neither)',
    path: ['TLS_CERT'],
  })
  .refine((c) => c.REDIS_URL === undefined || c.DATABASE_URL !== undefined, {
    message: 'REDIS_URL (cluster mode) needs DATABASE_URL too: the nodes share one PostgreSQL leaderboard',
    path: ['DATABASE_URL'],
  });

export interface ServerConfig {
  port: number;
  host: string;
  modelDir: string;
  dataDir: string;
  leaderboardStore: 'sqlite' | 'memory';
  inferenceEngine: 'onnx' | 'tfjs' | undefined;
  inferenceWorkers: number | undefined;
  inferenceMaxBatch: number;
  /** How long a short inference batch waits for more frames (latest-frame-queue.ts); 0: never. */
  inferenceGatherMs: number;
  tls: { certFile: string; keyFile: string } | null;
  adminToken: string | null;
  logLevel: string;
  modelWatch: boolean;
  trustProxy: boolean;
  maxConnectionsPerIp: number;
  roomsPerIpPerMinute: number;
  shutdownTimeoutMs: number;
  maxRooms: number;
  roomLookupsPerIpPerMinute: number;
  failedJoinsPerIpPerMinute: number;
  /** Origins besides the server's own allowed to open Socket.IO connections. */
  allowedOrigins: string[];
  /** PostgreSQL leaderboard (DATABASE_URL) instead of SQLite; null: LEADERBOARD_STORE decides. */
  databaseUrl: string | null;
  /** Cluster mode (REDIS_URL); null: this process is the whole game. */
  cluster: { redisUrl: string; nodeId: string | null } | null;
  /** On SIGTERM in cluster mode: how long running games may go on before they are ended. */
  drainTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Empty strings count as unset, so `PORT= npm start` falls back to the default. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ServerConfig {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const r = schema.safeParse(cleaned);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => {
        const key = i.path.join('.');
        return `${key || 'config'}: ${i.message}${key && env[key] !== undefined ? ` (got "${env[key]}")` : ''}`;
      }),
    );
  }
  const c = r.data;
  return {
    port: c.PORT,
    host: c.HOST,
    modelDir: resolve(cwd, c.MODEL_DIR),
    dataDir: resolve(cwd, c.DATA_DIR),
    leaderboardStore: c.LEADERBOARD_STORE,
    inferenceEngine: c.INFERENCE_ENGINE,
    inferenceWorkers: c.INFERENCE_WORKERS,
    inferenceMaxBatch: c.INFERENCE_MAX_BATCH,
    inferenceGatherMs: c.INFERENCE_GATHER_MS,
    tls: c.TLS_CERT && c.TLS_KEY ? { certFile: resolve(cwd, c.TLS_CERT), keyFile: resolve(cwd, c.TLS_KEY) } : null,
    adminToken: c.ADMIN_TOKEN ?? null,
    logLevel: c.LOG_LEVEL,
    modelWatch: c.MODEL_WATCH,
    trustProxy: c.TRUST_PROXY,
    maxConnectionsPerIp: c.MAX_CONNECTIONS_PER_IP,
    roomsPerIpPerMinute: c.ROOMS_PER_IP_PER_MINUTE,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    allowedOrigins: c.ALLOWED_ORIGINS,
    maxRooms: c.MAX_ROOMS,
    roomLookupsPerIpPerMinute: c.ROOM_LOOKUPS_PER_IP_PER_MINUTE,
    failedJoinsPerIpPerMinute: c.FAILED_JOINS_PER_IP_PER_MINUTE,
    databaseUrl: c.DATABASE_URL ?? null,
    cluster: c.REDIS_URL ? { redisUrl: c.REDIS_URL, nodeId: c.NODE_ID ?? null } : null,
    drainTimeoutMs: c.DRAIN_TIMEOUT_MS,
  };
}
