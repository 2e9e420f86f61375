/** The Phaser game: its scenes, the renderer choice, and the director that moves between scenes. */
import Phaser from 'phaser';
import { isHardwareAccelerated } from './capture/backend-choice.ts';
import { probeGpu } from './capture/gpu-probe.ts';
import { type AppContext, setContext } from './core/context.ts';
import { startDirector } from './core/director.ts';
import { BootScene } from './scenes/boot-scene.ts';
import { FinalScene } from './scenes/final-scene.ts';
import { HomeScene } from './scenes/home-scene.ts';
import { LeaderboardScene } from './scenes/leaderboard-scene.ts';
import { LobbyScene } from './scenes/lobby-scene.ts';
import { PreloaderScene } from './scenes/preloader-scene.ts';
import { RoundResultsScene } from './scenes/round-results-scene.ts';
import { RoundScene } from './scenes/round-scene.ts';
import { THEME } from './ui/theme.ts';

export function startGame(ctx: AppContext): Phaser.Game {
  // On a software GL renderer (no GPU) Phaser's WebGL path costs more CPU than its Canvas path,
  // and that CPU is what face detection needs; 30 fps is plenty for bars and text.
  const gpu = probeGpu();
  const game = new Phaser.Game({
    type: isHardwareAccelerated(gpu) ? Phaser.AUTO : Phaser.CANVAS,
    fps: { target: 30, limit: 30 },
    parent: 'game',
    backgroundColor: THEME.bg,
    scale: { mode: Phaser.Scale.RESIZE, width: window.innerWidth, height: window.innerHeight },
    scene: [
      BootScene,
      PreloaderScene,
      HomeScene,
      LobbyScene,
      RoundScene,
      RoundResultsScene,
      FinalScene,
      LeaderboardScene,
    ],
  });
  setContext(game, ctx);
  startDirector(game, ctx);
  return game;
}
