import { switchRole } from '../core/role-switch.ts';
import { h, say, setBusy } from '../ui/dom.ts';
import { fontPx, THEME } from '../ui/theme.ts';
import { BaseScene, dpr } from './base-scene.ts';
import { SCENES } from './keys.ts';

const MEDALS = ['🥇', '🥈', '🥉'];

/** Final standings; the host can start another game, everyone can open the leaderboard. */
export class FinalScene extends BaseScene {
  private title!: Phaser.GameObjects.Text;
  private rows: Phaser.GameObjects.Text[] = [];

  constructor() {
    super(SCENES.final);
  }

  protected build(): void {
    this.title = this.text(0, 0, 'Final results', 32, THEME.accent).setOrigin(0.5, 0);
    const again = h(
      'button',
      { type: 'button', class: 'primary', id: 'play-again', 'data-autofocus': true },
      'Play again',
    );
    again.addEventListener('click', () => void this.ctx.net.startGame().catch(() => {}));
    again.hidden = !this.ctx.store.isHost;
    const board = h('button', { type: 'button', class: 'secondary', id: 'final-leaderboard' }, 'Leaderboard');
    board.addEventListener('click', () => this.scene.start(SCENES.leaderboard));
    const leave = h('button', { type: 'button', class: 'link', id: 'final-leave' }, 'Leave room');
    leave.addEventListener('click', () => void this.ctx.net.leave().catch(() => {}));
    // Between games a spectator may take a seat (after a camera check: it must start).
    const play = h('button', { type: 'button', class: 'secondary', id: 'play-next-game' }, 'Play next game');
    const note = h('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
    play.addEventListener('click', async () => {
      setBusy(play, true);
      const problem = await switchRole(this.ctx, 'player');
      setBusy(play, false);
      say(note, problem ?? 'You play in the next game.', problem ? 'error' : 'info');
    });
    const roles = () => {
      again.hidden = !this.ctx.store.isHost;
      play.hidden = this.ctx.store.self?.role !== 'spectator';
    };
    roles();
    this.dom.root.append(h('div', { class: 'bottom-bar' }, again, play, board, leave, note));
    this.listen('final', () => this.render());
    this.listen('room', roles);
    this.render();
  }

  private render(): void {
    for (const r of this.rows) r.destroy();
    const f = this.ctx.store.final;
    const me = this.ctx.store.self?.playerId;
    this.rows = (f?.entries ?? []).map((e) =>
      this.add
        .text(
          0,
          0,
          `${MEDALS[e.rank - 1] ?? `${e.rank}.`} ${e.nickname}${e.playerId === me ? ' (you)' : ''}  ${e.totalScore} pts  (${e.averagePerRound.toFixed(1)}/round)`,
          {
            fontFamily: `${THEME.font}, ${THEME.emojiFont}`,
            fontSize: '18px',
            resolution: dpr(),
            color: e.playerId === me ? THEME.accent : THEME.text,
          },
        )
        .setOrigin(0.5, 0),
    );
    // The server could not store this game on the leaderboard (it keeps it and adds it later).
    if (f?.notSaved) {
      this.rows.push(
        this.text(0, 0, `result not saved: ${f.notSaved}`, 15, THEME.text).setName('not-saved').setOrigin(0.5, 0),
      );
    }
    this.layout(this.scale.width, this.scale.height);
  }

  protected layout(width: number, height: number): void {
    const fs = fontPx(width, height, 0.036, 15);
    this.title.setFontSize(Math.round(fs * 1.7)).setPosition(width / 2, height * 0.07);
    this.rows.forEach((t, i) => {
      t.setFontSize(i === 0 ? Math.round(fs * 1.3) : fs)
        .setPosition(width / 2, height * 0.2 + i * fs * 2)
        .setWordWrapWidth(width - 20);
    });
  }
}
