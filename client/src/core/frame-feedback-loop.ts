/**
 * Runs FrameFeedback for the page: what we send, what the server answers or refuses, and
 * whether the capture is sending at all, in; a 'frameFeedback' bus event out whenever the
 * verdict changes (checked 4 times a second, so "no answer for 2 s" shows without an event).
 */
import { FrameFeedback } from '../capture/frame-feedback.ts';
import type { AppContext } from './context.ts';

export function startFrameFeedback(ctx: Pick<AppContext, 'bus' | 'net' | 'capture'>): void {
  const { bus, net, capture } = ctx;
  const feedback = new FrameFeedback(() => performance.now());
  capture.onFrame = (seq, data) => {
    feedback.sent();
    net.sendFrame(seq, data, (code) => {
      feedback.refused(code);
      bus.emit('frameRefused', code);
    });
  };
  bus.on('frameResult', (r) => feedback.result(r));
  bus.on('capture', (c) => feedback.setSending(c.sending));
  let last = '';
  const publish = () => {
    const state = feedback.state();
    const sig = `${state.counting}|${state.message ?? ''}`;
    if (sig === last) return;
    last = sig;
    bus.emit('frameFeedback', state);
  };
  bus.on('frameResult', publish);
  bus.on('frameRefused', publish);
  setInterval(publish, 250);
}
