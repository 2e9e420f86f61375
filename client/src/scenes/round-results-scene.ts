import { EMOTION_INFO } from '../../../shared/emotions.ts';
import { fontPx, THEME } from '../ui/theme.ts';
import { BaseScene } from './base-scene.ts';
import { SCENES } from './keys.ts';

/** Points of the round just played, best first, with each player's peak match. */
export class RoundResultsScene extends BaseScene {
  private title!: Phaser.GameObjects.Text;
  private rows: Phaser.GameObjects.Text[] = [];
  private next!: Phaser.GameObjects.Text;

  constructor() {
    super(SCENES.roundResults);
  }

  protected build(): void {
    this.title = this.text(0, 0, '', 28, THEME.accent).setOrigin(0.5, 0);
    this.next = this.text(0, 0, '', 16, THEME.muted).setOrigin(0.5, 1);
    this.listen('roundResults', () => this.render());
    this.render();
  }

  private render(): void {
    const res = this.ctx.store.lastRound;
    for (const r of this.rows) r.destroy();
    this.rows = [];
    if (!res) {
      this.title.setText('Round over');
      return;
    }
    const info = EMOTION_INFO[res.prompt];
    this.title.setText(`Round ${res.index + 1}: ${info.emoji} ${info.displayName}`);
    const me = this.ctx.store.self?.playerId;
    const sorted = [...res.entries].sort((a, b) => b.points - a.points);
    this.rows = sorted.map((e, i) =>
      this.text(
        0,
        0,
        `${i + 1}. ${e.nickname}${e.playerId === me ? ' (you)' : ''}   +${e.points}   total ${e.totalScore}   peak ${Math.round(e.peak * 100)}%`,
        18,
        e.playerId === me ? THEME.accent : THEME.text,
      ).setOrigin(0.5, 0),
    );
    this.layout(this.scale.width, this.scale.height);
  }

  override update(): void {
    const r = this.ctx.store.room;
    if (!r?.round) return;
    const last = r.round.index + 1 >= r.round.total;
    this.next.setText(`${last ? 'Final results' : 'Next round'} in ${Math.ceil(this.ctx.store.timeLeftMs() / 1000)} s`);
  }

  protected layout(width: number, height: number): void {
    const fs = fontPx(width, height, 0.032, 14);
    this.title
      .setFontSize(Math.round(fs * 1.6))
      .setPosition(width / 2, height * 0.08)
      .setWordWrapWidth(width - 20);
    this.rows.forEach((t, i) => {
      t.setFontSize(fs)
        .setPosition(width / 2, height * 0.22 + i * fs * 1.9)
        .setWordWrapWidth(width - 20);
    });
    this.next.setFontSize(fs).setPosition(width / 2, height - 16);
  }
}
