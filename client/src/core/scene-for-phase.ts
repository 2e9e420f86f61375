/** Which scene shows which server phase. Pure. */
import type { Phase } from '../../../shared/protocol.ts';
import { SCENES, type SceneKey } from '../scenes/keys.ts';

export function sceneForPhase(phase: Phase): SceneKey {
  switch (phase) {
    case 'lobby':
      return SCENES.lobby;
    case 'countdown':
    case 'round':
      return SCENES.round;
    case 'roundResults':
      return SCENES.roundResults;
    case 'finalResults':
      return SCENES.final;
  }
}
