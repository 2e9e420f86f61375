/**
 * What `createApplication` takes: everything with state or I/O, and the limits, so tests inject
 * stores, clocks, engines and short game timings. Its own module so the modules the
 * composition root wires can read it without importing the root.
 */
import type { GameSettings } from '../shared/protocol.ts';
import type { ClusterPlug } from './cluster/types.ts';
import type { Donations } from './donations/donations.ts';
import type { Clock } from './game/clock.ts';
import type { GameTimings } from './game/room.ts';
import type { ScoringRules } from './game/scoring.ts';
import type { SettingsLimits } from './game/validators.ts';
import type { Logger } from './logging.ts';
import type { ServerMetrics } from './metrics.ts';
import type { ModelInfo, ReloadResult } from './ml/engine/model-host.ts';
import type { EmotionEngine } from './ml/engine/types.ts';
import type { LeaderboardStore } from './store/types.ts';

export interface AppDeps {
  engine: EmotionEngine;
  store: LeaderboardStore;
  clock?: Clock;
  log?: Logger;
  metrics?: ServerMetrics;
  /** Prompt draws (not room codes, which always use the CSPRNG). */
  random?: () => number;
  timings?: Partial<GameTimings>;
  scoring?: Partial<ScoringRules>;
  settingsLimits?: SettingsLimits;
  /** Default rounds / round length of new rooms. */
  defaultSettings?: Partial<Omit<GameSettings, 'emotions'>>;
  /** The served model (for the default prompt set and /healthz). */
  modelInfo?: () => ModelInfo | null;
  reloadModel?: () => Promise<ReloadResult>;
  adminToken?: string | null;
  maxConnectionsPerIp?: number;
  roomsPerIpPerMinute?: number;
  /** Open rooms on this server at most (MAX_ROOMS). */
  maxRooms?: number;
  /** GET /api/rooms/:code per address (an IPv6 /64) per minute. */
  roomLookupsPerIpPerMinute?: number;
  /** Room look-ups that miss (unknown code) per address per minute, before its look-ups are refused. */
  failedJoinsPerIpPerMinute?: number;
  framesPerSecond?: number;
  /** Per-socket budget for non-frame events (burst of twice this). */
  controlEventsPerSecond?: number;
  trustProxy?: boolean;
  inference?: { maxBatch?: number; maxInFlight?: number; gatherMs?: number };
  /** Origins besides the server's own that may open Socket.IO connections (ALLOWED_ORIGINS). */
  allowedOrigins?: readonly string[];
  /** Frame donation (docs/privacy.md); without it the donation events answer UNAVAILABLE. */
  donations?: Donations;
  /** Serve the browser client (default true). */
  serveClient?: boolean;
  /** Cluster mode (REDIS_URL, server/cluster/): rooms on several nodes, limits counted in Redis. */
  cluster?: ClusterPlug;
}
