import type { LeaderboardEntry, LeaderboardPeriod } from '../../../shared/protocol.ts';
import { ProtocolFailure } from '../net/arena-client.ts';
import { h, say } from '../ui/dom.ts';
import { fontPx, THEME } from '../ui/theme.ts';
import { BaseScene } from './base-scene.ts';
import { SCENES } from './keys.ts';

const TABS: { period: LeaderboardPeriod; label: string }[] = [
  { period: 'all', label: 'All time' },
  { period: 'day', label: 'Today' },
  { period: 'week', label: 'This week' },
];

/** The persistent leaderboard as an accessible table, with period tabs. */
export class LeaderboardScene extends BaseScene {
  private title!: Phaser.GameObjects.Text;
  private period: LeaderboardPeriod = 'all';
  private tbody!: HTMLTableSectionElement;
  private msg!: HTMLParagraphElement;
  private tabButtons: HTMLButtonElement[] = [];

  constructor() {
    super(SCENES.leaderboard);
  }

  protected build(): void {
    this.title = this.text(0, 0, 'Leaderboard', 30, THEME.accent).setOrigin(0.5, 0);
    this.msg = h('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
    this.tabButtons = TABS.map((t) => {
      const b = h(
        'button',
        { type: 'button', role: 'tab', class: 'tab', id: `tab-${t.period}`, 'data-period': t.period },
        t.label,
      );
      b.addEventListener('click', () => void this.loadPeriod(t.period));
      return b;
    });
    this.tbody = h('tbody', {});
    const back = h('button', { type: 'button', class: 'secondary', id: 'leaderboard-back' }, 'Back');
    back.addEventListener('click', () => {
      const r = this.ctx.store.room;
      // Back to the room when still in one, else to the menu.
      if (r) this.scene.start(r.phase === 'finalResults' ? SCENES.final : SCENES.lobby);
      else this.scene.start(SCENES.home);
    });
    this.dom.root.append(
      h(
        'div',
        { class: 'panel leaderboard-panel' },
        h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Period' }, ...this.tabButtons),
        h(
          'table',
          { id: 'leaderboard-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, '#'),
              h('th', { scope: 'col' }, 'Player'),
              h('th', { scope: 'col' }, 'Points'),
              h('th', { scope: 'col' }, 'Games'),
              h('th', { scope: 'col' }, 'Best avg'),
            ),
          ),
          this.tbody,
        ),
        this.msg,
        back,
      ),
    );
    void this.loadPeriod('all');
  }

  private async loadPeriod(period: LeaderboardPeriod): Promise<void> {
    this.period = period;
    for (const b of this.tabButtons) b.setAttribute('aria-selected', String(b.dataset.period === period));
    say(this.msg, 'Loading…');
    try {
      const rows = await this.ctx.net.leaderboard(period);
      if (this.period !== period) return;
      this.render(rows);
      say(this.msg, rows.length ? '' : 'No games yet in this period.');
      if (window.__arena) window.__arena.leaderboard = rows;
    } catch (err) {
      say(this.msg, err instanceof ProtocolFailure ? err.message : String(err), 'error');
    }
  }

  private render(rows: LeaderboardEntry[]): void {
    const me = this.ctx.store.self?.playerId;
    this.tbody.replaceChildren(
      ...rows.map((r) =>
        h(
          'tr',
          { class: r.playerId === me ? 'me' : undefined, 'data-player-id': r.playerId },
          h('td', {}, String(r.rank)),
          // Names that look alike on this page get the public id's first characters (docs/scoring.md).
          h('td', { class: 'nick' }, r.lookalike ? `${r.nickname} #${r.tag}` : r.nickname),
          h('td', { class: 'points' }, String(r.totalPoints)),
          h('td', {}, String(r.gamesPlayed)),
          h('td', {}, r.bestAveragePerRound.toFixed(1)),
        ),
      ),
    );
  }

  protected layout(width: number, height: number): void {
    const fs = fontPx(width, height, 0.05, 22);
    this.title.setFontSize(fs).setPosition(width / 2, 12);
    this.dom.root.style.setProperty('--top', `${Math.round(12 + fs * 1.7)}px`);
  }
}
