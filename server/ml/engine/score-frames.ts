/**
 * An engine's frames with their replay checks: predictWithReplay where the engine has it, else
 * predict() with every check left to the room (server/game/room.ts recordFrame measures it).
 * One place for that fallback, used by the model host and by the frame pipeline.
 */
import type { EarlierLayout } from '../../game/liveness-features.ts';
import type { EmotionEngine, ScoredFrame } from './types.ts';

export async function scoreFrames(
  engine: EmotionEngine,
  frames: Uint8Array[],
  earlier: readonly (readonly EarlierLayout[])[],
): Promise<ScoredFrame[]> {
  if (engine.predictWithReplay) return engine.predictWithReplay(frames, earlier);
  return (await engine.predict(frames)).map((probabilities) => ({ probabilities }));
}
