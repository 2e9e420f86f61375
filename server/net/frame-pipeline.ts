/**
 * The frame path after the handler: the newest-frame queue in front of the engine, with its
 * outcomes counted (batch size, latency, stale and failed frames), and each socket's frame budget.
 */

import type { ReplayMeasure } from '../game/liveness.ts';
import type { Logger } from '../logging.ts';
import type { ServerMetrics } from '../metrics.ts';
import { scoreFrames } from '../ml/engine/score-frames.ts';
import type { EmotionEngine, ScoredFrame } from '../ml/engine/types.ts';
import type { FrameJob, FrameQueue } from './context.ts';
import { LatestFrameQueue } from './latest-frame-queue.ts';
import { TokenBucket } from './rate-limiter.ts';
import type { ArenaSocket } from './types.ts';

export interface FramePipelineOptions {
  engine: EmotionEngine;
  metrics: ServerMetrics;
  log: Logger;
  maxBatch?: number;
  maxInFlight?: number;
  /** A batch of fewer than GATHER_MIN_BATCH frames waits up to this long for more (0: never; tests). */
  gatherMs?: number;
  /** A scored frame's model output (frame-handlers.ts deliverFrameResult). */
  deliver: (job: FrameJob, probabilities: Float32Array, replay: ReplayMeasure | undefined) => void;
  /** A frame that will not be scored: superseded by a newer one of the same player, or the model failed. */
  notScored: (job: FrameJob, why: 'superseded' | 'failed') => void;
}

/**
 * A batch this big goes at once. Eight frames cost one worker wake-up instead of eight, and
 * inference per frame is the same at batch 1 and 32 (npm run bench:infer), so a bigger minimum
 * would only add waiting.
 */
const GATHER_MIN_BATCH = 8;

export function createFramePipeline(options: FramePipelineOptions): FrameQueue {
  const { metrics } = options;
  return new LatestFrameQueue<FrameJob, ScoredFrame>(
    (batch, jobs) => {
      metrics.inferenceBatchSize.observe(batch.length);
      const started = performance.now();
      // The replay check's arithmetic rides along with inference when the engine can do it.
      const scored = scoreFrames(
        options.engine,
        batch,
        jobs.map((j) => j.ticket.replay.earlier),
      );
      // Once per micro-batch, as the metric says (it was once per frame of the batch).
      return scored.then((outputs) => {
        metrics.inferenceLatency.observe((performance.now() - started) / 1000);
        let inWorkers = 0;
        for (const o of outputs) if (o.replay) inWorkers++;
        if (inWorkers > 0) metrics.replayChecks.inc({ where: 'worker' }, inWorkers);
        if (inWorkers < outputs.length) metrics.replayChecks.inc({ where: 'main' }, outputs.length - inWorkers);
        return outputs;
      });
    },
    {
      result: (_key, job, out) => options.deliver(job, out.probabilities, out.replay),
      stale: (_key, job) => {
        metrics.framesDropped.inc({ reason: 'stale' });
        options.notScored(job, 'superseded');
      },
      failed: (_key, job, err) => {
        metrics.framesDropped.inc({ reason: 'inference_error' });
        options.log.error({ err, room: job.roomCode }, 'inference failed');
        options.notScored(job, 'failed');
      },
    },
    {
      maxBatch: options.maxBatch ?? 32,
      maxInFlight: options.maxInFlight ?? 2,
      now: () => performance.now(),
      schedule: (fn) => setImmediate(fn),
      gatherMs: options.gatherMs ?? 0,
      minBatch: GATHER_MIN_BATCH,
      setTimer: (fn, ms) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      },
    },
  );
}

/** Each socket's frame budget: `fps` frames per second, burst of `fps`. */
export function frameBudgets(fps: number, now: () => number): (socket: ArenaSocket) => TokenBucket {
  const buckets = new WeakMap<ArenaSocket, TokenBucket>();
  return (socket) => {
    let b = buckets.get(socket);
    if (!b) {
      b = new TokenBucket(fps, fps, now);
      buckets.set(socket, b);
    }
    return b;
  };
}
