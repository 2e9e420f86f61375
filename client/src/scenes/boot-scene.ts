import Phaser from 'phaser';
import { THEME } from '../ui/theme.ts';
import { SCENES } from './keys.ts';

/** First scene: nothing to load, just hands over to the preloader (Vite-template habit). */
export class BootScene extends Phaser.Scene {
  constructor() {
    super(SCENES.boot);
  }
  create(): void {
    this.cameras.main.setBackgroundColor(THEME.bg);
    this.scene.start(SCENES.preloader);
  }
}
