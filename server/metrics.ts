/** Prometheus metrics (prom-client), one registry per application so tests can run several. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const FRAME_DROP_REASONS = [
  'invalid',
  'rate_limited',
  'outside_round',
  'not_in_room',
  'stale',
  'late',
  'inference_error',
] as const;
export type FrameDropReason = (typeof FRAME_DROP_REASONS)[number];

export interface ServerMetrics {
  registry: Registry;
  framesReceived: Counter;
  framesTapped: Counter;
  framesScored: Counter;
  framesDropped: Counter<'reason'>;
  framesUncounted: Counter;
  replayChecks: Counter<'where'>;
  inferenceLatency: Histogram;
  frameResultLatency: Histogram;
  inferenceBatchSize: Histogram;
  rooms: Gauge;
  players: Gauge;
  connections: Gauge;
  gamesFinished: Counter;
  gamesUnsaved: Counter;
  modelReloads: Counter<'result'>;
  rejectedConnections: Counter<'reason'>;
  protocol4Patches: Counter<'way'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const framesDropped = new Counter({
    name: 'emotion_arena_frames_dropped_total',
    help: 'Frames not scored, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of FRAME_DROP_REASONS) framesDropped.inc({ reason }, 0);
  const replayChecks = new Counter({
    name: 'emotion_arena_replay_checks_total',
    help: "Scored frames' replay checks by where their arithmetic ran: in the inference workers, along with the frame (where=worker), or on the main thread (where=main: an engine that cannot, or a window longer than the lanes carry)",
    labelNames: ['where'] as const,
    registers,
  });
  // Both series from the start, so a dashboard shows where=main at 0 rather than nothing.
  for (const where of ['worker', 'main'] as const) replayChecks.inc({ where }, 0);
  return {
    registry,
    framesReceived: new Counter({
      name: 'emotion_arena_frames_received_total',
      help: 'frame:send events received',
      registers,
    }),
    framesTapped: new Counter({
      name: 'emotion_arena_frames_tapped_total',
      help: 'Frames of frames_received that came the short way, straight from the WebSocket (protocol 3+ frame messages of room members on this node); the rest went through Socket.IO',
      registers,
    }),
    framesScored: new Counter({
      name: 'emotion_arena_frames_scored_total',
      help: 'Frames that went through inference and were scored',
      registers,
    }),
    framesDropped,
    framesUncounted: new Counter({
      name: 'emotion_arena_frames_still_total',
      help: 'Scored frames not counted because they replay a recent frame (liveness check, docs/scoring.md)',
      registers,
    }),
    replayChecks,
    inferenceLatency: new Histogram({
      name: 'emotion_arena_inference_latency_seconds',
      help: 'Time of one engine.predict call (one micro-batch)',
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers,
    }),
    frameResultLatency: new Histogram({
      name: 'emotion_arena_frame_result_latency_seconds',
      help: 'Server time from receiving a frame to emitting its frame:result',
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers,
    }),
    inferenceBatchSize: new Histogram({
      name: 'emotion_arena_inference_batch_size',
      help: 'Frames per engine.predict call',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    }),
    rooms: new Gauge({ name: 'emotion_arena_rooms', help: 'Open rooms', registers }),
    players: new Gauge({ name: 'emotion_arena_players', help: 'Connected room members', registers }),
    connections: new Gauge({ name: 'emotion_arena_connections', help: 'Open Socket.IO connections', registers }),
    gamesFinished: new Counter({ name: 'emotion_arena_games_finished_total', help: 'Finished games', registers }),
    gamesUnsaved: new Counter({
      name: 'emotion_arena_games_unsaved_total',
      help: 'Finished games the leaderboard store could not take when they ended (spooled or lost)',
      registers,
    }),
    modelReloads: new Counter({
      name: 'emotion_arena_model_reloads_total',
      help: 'Model reload attempts by result',
      labelNames: ['result'] as const,
      registers,
    }),
    rejectedConnections: new Counter({
      name: 'emotion_arena_rejected_connections_total',
      help: 'Connections refused, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    protocol4Patches: new Counter({
      name: 'emotion_arena_protocol4_patches_total',
      help: 'Room patches to protocol 4 sockets: way="result" rode on a frame:result, way="alone" went as a room:patch message (no frame answered in time)',
      labelNames: ['way'] as const,
      registers,
    }),
  };
}
