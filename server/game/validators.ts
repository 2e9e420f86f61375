/** Runtime validation of everything a client sends (zod). Pure: returns results, never throws. */
import { z } from 'zod';
import { EMOTIONS } from '../../shared/emotions.ts';
import type { CreateRoomRequest, JoinRoomRequest, KickRequest, LeaderboardRequest } from '../../shared/events.ts';
import {
  GAME_LIMITS,
  type GameSettings,
  LEADERBOARD_BOARDS,
  LEADERBOARD_MAX_LIMIT,
  LEADERBOARD_PERIODS,
  PLAYER_TOKEN_PATTERN,
} from '../../shared/protocol.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

function parser<T>(schema: z.ZodType<T>): (input: unknown) => Parsed<T> {
  return (input) => {
    const r = schema.safeParse(input);
    return r.success ? { ok: true, value: r.data } : { ok: false, message: describe(r.error) };
  };
}

/** Limits a room accepts for its settings; injectable so tests may allow very short rounds. */
export interface SettingsLimits {
  rounds: { min: number; max: number };
  roundSeconds: { min: number; max: number };
}

export const DEFAULT_SETTINGS_LIMITS: SettingsLimits = {
  rounds: { min: GAME_LIMITS.rounds.min, max: GAME_LIMITS.rounds.max },
  roundSeconds: { min: GAME_LIMITS.roundSeconds.min, max: GAME_LIMITS.roundSeconds.max },
};

const tokenSchema = z.string().max(64).regex(PLAYER_TOKEN_PATTERN, 'must be 16–64 characters of A-Z a-z 0-9 _ -');
// Nicknames and codes get their detailed checks elsewhere; here only type and a hard size cap.
const nicknameField = z.string().max(200);
const codeField = z.string().max(32);
const roleField = z.enum(['player', 'spectator']);

function settingsPatchSchema(limits: SettingsLimits) {
  return z
    .object({
      rounds: z.number().int().min(limits.rounds.min).max(limits.rounds.max).optional(),
      roundSeconds: z.number().int().min(limits.roundSeconds.min).max(limits.roundSeconds.max).optional(),
      emotions: z
        .array(z.enum(EMOTIONS))
        .min(1, 'choose at least one emotion')
        .max(EMOTIONS.length)
        .refine((a) => new Set(a).size === a.length, 'emotions must not repeat')
        .optional(),
    })
    .strict();
}

export function createValidators(limits: SettingsLimits = DEFAULT_SETTINGS_LIMITS) {
  const settingsPatch = settingsPatchSchema(limits);
  return {
    settingsPatch: parser<Partial<GameSettings>>(settingsPatch),
    createRoom: parser<CreateRoomRequest>(
      z.object({
        nickname: nicknameField,
        playerToken: tokenSchema,
        settings: settingsPatch.optional(),
        role: roleField.optional(),
      }),
    ),
    joinRoom: parser<JoinRoomRequest>(
      z.object({ code: codeField, nickname: nicknameField, playerToken: tokenSchema, role: roleField.optional() }),
    ),
    kick: parser<KickRequest>(z.object({ playerId: z.string().min(1).max(64) })),
    leaderboard: parser<LeaderboardRequest>(
      z.object({
        period: z.enum(LEADERBOARD_PERIODS),
        limit: z.number().int().min(1).max(LEADERBOARD_MAX_LIMIT).optional(),
        board: z.enum(LEADERBOARD_BOARDS).optional(),
      }),
    ),
    frameSeq: parser<number>(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)),
  };
}

export type Validators = ReturnType<typeof createValidators>;

/** Applies a validated patch to settings. */
export function applySettings(current: GameSettings, patch: Partial<GameSettings>): GameSettings {
  return {
    rounds: patch.rounds ?? current.rounds,
    roundSeconds: patch.roundSeconds ?? current.roundSeconds,
    emotions: patch.emotions ? [...patch.emotions] : [...current.emotions],
  };
}
