import type { ReplayMeasure } from '../../game/liveness.ts';
import type { EarlierLayout } from '../../game/liveness-features.ts';

/** The one interface the game server uses for inference, whatever runs it (tfjs, ONNX, a worker pool). */
export interface EmotionEngine {
  /** Human-readable description, e.g. "onnx (2 workers)". */
  readonly name: string;
  /**
   * Scores 48×48 uint8 grayscale frames (2304 bytes each). Returns one 7-probability
   * vector per frame, in FER2013 order, in the same order as the input.
   */
  predict(frames: Uint8Array[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
  /**
   * Optional: predict() plus each frame's replay-check arithmetic (measureReplay of frame i
   * against `earlier[i]`, server/game/liveness.ts) done where the frame already is, off the
   * main thread. The numbers are the same as measureReplay's on the main thread.
   */
  predictWithReplay?(frames: Uint8Array[], earlier: readonly (readonly EarlierLayout[])[]): Promise<ScoredFrame[]>;
}

/** One frame's answer from predictWithReplay. */
export interface ScoredFrame {
  probabilities: Float32Array;
  /** Absent when the engine did not measure it (the room measures it then). */
  replay?: ReplayMeasure;
}
