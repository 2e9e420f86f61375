/**
 * Settings of a new room: the configured rounds and round length, and the default prompt set —
 * the emotions the served model recognises well enough (from its metrics.json, read at each
 * room creation so a reloaded model applies to the next room).
 */
import type { Emotion } from '../../shared/emotions.ts';
import { GAME_LIMITS, type GameSettings } from '../../shared/protocol.ts';
import { defaultPromptSet } from '../game/prompts.ts';
import type { Logger } from '../logging.ts';
import type { ModelInfo } from '../ml/engine/model-host.ts';
import { servedPublicRecall } from '../ml/model-folder/metrics.ts';

export function newRoomSettings(
  configured: Partial<Omit<GameSettings, 'emotions'>> | undefined,
  modelInfo: () => ModelInfo | null,
  log: Logger,
): () => GameSettings {
  const emotions = (): Emotion[] => {
    const metricsJson = modelInfo()?.metrics ?? null;
    let recall: Partial<Record<Emotion, number>> | null = null;
    try {
      recall = metricsJson ? servedPublicRecall(metricsJson) : null;
    } catch (err) {
      log.warn({ err }, 'metrics.json of the served model is malformed; prompting all emotions');
    }
    return defaultPromptSet(recall);
  };
  return () => ({
    rounds: configured?.rounds ?? GAME_LIMITS.rounds.default,
    roundSeconds: configured?.roundSeconds ?? GAME_LIMITS.roundSeconds.default,
    emotions: emotions(),
  });
}
