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
}
