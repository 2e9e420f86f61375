/** The reconnecting banner and the debug overlay (backend, capture frames/s, frames sent). */
import type { AppContext } from '../core/context.ts';
import { h } from './dom.ts';

export function mountConnectionBanner(ctx: AppContext): void {
  const el = h('div', { id: 'connection-banner', role: 'status', 'aria-live': 'assertive', hidden: true });
  document.body.append(el);
  let shownAt = 0;
  ctx.bus.on('connection', (s) => {
    if (s === 'reconnecting') {
      if (el.hidden) shownAt = performance.now();
      el.textContent = 'Connection lost: reconnecting…';
      el.dataset.state = 'reconnecting';
      el.hidden = false;
    } else if (s === 'connected' && !el.hidden) {
      el.textContent = 'Reconnected';
      el.dataset.state = 'connected';
      // Keep "Reconnected" up briefly so a short blip is still noticed.
      setTimeout(
        () => {
          if (el.dataset.state === 'connected') el.hidden = true;
        },
        Math.max(1200, 600 - (performance.now() - shownAt)),
      );
    }
  });
}

export function mountDebugOverlay(ctx: AppContext): void {
  const el = h('pre', { id: 'debug-overlay', 'aria-hidden': 'true', hidden: !ctx.config.debug });
  document.body.append(el);
  window.addEventListener('keydown', (ev) => {
    if (ev.key === '`' && !(ev.target instanceof HTMLInputElement)) el.hidden = !el.hidden;
  });
  const render = () => {
    if (el.hidden) return;
    const s = ctx.store.capture;
    const d = ctx.capture.detectorInfo;
    const fr = ctx.store.frameResult;
    let trials =
      d?.trials.map((t) => `${t.backend}:${t.ok ? `${t.msPerDetection.toFixed(0)}ms` : 'failed'}`).join(' ') ?? '…';
    if (d && !d.trials.some((t) => t.backend === 'webgl')) trials += ' webgl:skipped (software GL)';
    el.textContent = [
      `backend   ${s.backend ?? 'loading'}   (${trials})`,
      `gpu       ${d?.gpu.renderer || 'none'}`,
      `camera    ${s.camera} ${s.videoWidth}×${s.videoHeight}`,
      `detect    ${s.detectFps.toFixed(1)} /s   faces ${s.facesInView}`,
      `send      ${s.sendFps.toFixed(1)} /s   sent ${s.framesSent}   ${s.sending ? 'on' : `paused: ${s.pausedReason}`}`,
      `result    ${fr ? `#${fr.seq} match ${(fr.match * 100).toFixed(0)}% ${fr.counted ? '' : '(not counted)'}` : '-'}`,
      `net       ${ctx.store.connection}`,
    ].join('\n');
  };
  setInterval(render, 250);
}

/** A short message at the top of the page (e.g. "Welcome back"), gone after `ms`. */
export function flashBanner(id: string, text: string, ms: number): void {
  let el = document.getElementById(id);
  if (!el) {
    el = h('div', { id, class: 'flash-banner', role: 'status', 'aria-live': 'polite' });
    document.body.append(el);
  }
  el.textContent = text;
  el.hidden = false;
  const shown = el;
  setTimeout(() => {
    if (shown.textContent === text) shown.hidden = true;
  }, ms);
}

export function hideBanner(id: string): void {
  const el = document.getElementById(id);
  if (el) el.hidden = true;
}
