/**
 * A training run's state (weights, optimiser, progress) and its checkpoints:
 * a new run starts from seeded or warm-start weights, a resumed one from the
 * run folder's checkpoint, and either is saved with the wall time spent so far.
 */
import { createRng } from '../data/rng.ts';
import { type AdamWState, createAdamWState } from './adamw.ts';
import { type CheckpointMeta, hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { initialWeights } from './init-weights.ts';
import type { WeightSpec } from './messages.ts';
import type { TrainConfig } from './train-types.ts';
import { weightsFromFolder } from './warm-start.ts';

export interface RunState {
  /** Every weight in spec order; trainable ones are updated in place by AdamW. */
  weights: Float32Array[];
  adam: AdamWState;
  meta: CheckpointMeta;
}

/** The trainable weights' indices in spec order (the ones AdamW updates). */
export function trainableIndices(specs: readonly WeightSpec[]): number[] {
  return specs.flatMap((s, i) => (s.trainable ? [i] : []));
}

/** Resumes the run folder's checkpoint when asked and present, else starts a new run. */
export async function openRunState(
  config: TrainConfig,
  specs: readonly WeightSpec[],
  stepsPerEpoch: number,
  say: (line: string) => void,
): Promise<RunState> {
  const sizes = specs.map((s) => s.size);
  const trainableSizes = trainableIndices(specs).map((i) => sizes[i] as number);
  const configRecord = { ...config, progress: undefined, resume: undefined } as Record<string, unknown>;
  if (config.resume && hasCheckpoint(config.runDir)) {
    const ck = await loadCheckpoint(config.runDir, sizes, trainableSizes);
    if (ck.meta.config.arch !== config.arch) {
      throw new Error(`checkpoint in ${config.runDir} is for arch ${String(ck.meta.config.arch)}, not ${config.arch}`);
    }
    const meta = { ...ck.meta, config: configRecord };
    say(`resumed from ${config.runDir}: epoch ${meta.epoch + 1}, step ${meta.step}/${stepsPerEpoch}`);
    return { weights: ck.weights, adam: { step: ck.meta.adamStep, m: ck.m, v: ck.v }, meta };
  }
  if (config.resume) say(`no checkpoint in ${config.runDir}; starting a new run`);
  const weights = config.initFrom
    ? await weightsFromFolder(config.initFrom, specs)
    : initialWeights(specs, createRng(config.seed), config.kernelInit);
  if (config.initFrom) say(`initial weights from ${config.initFrom}`);
  return {
    weights,
    adam: createAdamWState(trainableSizes),
    meta: {
      version: 1,
      config: configRecord,
      epoch: 0,
      step: 0,
      globalStep: 0,
      adamStep: 0,
      best: null,
      history: [],
      elapsedS: 0,
      trainImages: 0,
      savedAt: new Date().toISOString(),
    },
  };
}

export interface Checkpointer {
  /** Saves the state as it is now, with the wall time of every session so far. */
  save(): Promise<void>;
  /** Wall time of every session so far, this one included. */
  elapsedS(): number;
}

export function checkpointer(runDir: string, state: RunState): Checkpointer {
  const sessionStart = Date.now();
  const elapsedBefore = state.meta.elapsedS;
  const elapsedS = () => elapsedBefore + (Date.now() - sessionStart) / 1000;
  return {
    elapsedS,
    async save() {
      const { meta, weights, adam } = state;
      meta.elapsedS = elapsedS();
      meta.adamStep = adam.step;
      meta.savedAt = new Date().toISOString();
      await saveCheckpoint(runDir, { meta, weights, m: adam.m, v: adam.v });
    },
  };
}
