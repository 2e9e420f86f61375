/**
 * The game still plays under its Content-Security-Policy (issue 17, item 10): one browser
 * player with a fake camera loads the page, face-api finds the face on the wasm backend (which
 * needs 'wasm-unsafe-eval'), a one-round practice game runs to the final screen with frames
 * scored, and the browser reports no CSP violation on the way. Runs on the marker engine:
 * it judges the page, not the model.
 */
import { describe, expect, it } from 'vitest';
import { configureGame, createRoom, waitForFace } from './flows.ts';
import { hook, setUpE2ESuite, shot, waitForScene } from './support.ts';

describe('the page under its security policy', () => {
  const suite = setUpE2ESuite('security-policy', {
    allowMarker: true,
    timings: { roundResultsMs: 1000, finalResultsMs: 30_000 },
    players: [{ face: 'sample1Right', name: 'csp' }],
  });

  it('plays a practice game with no CSP violation', async () => {
    const { page } = suite.players[0]!;
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/content security policy/i.test(m.text())) violations.push(`console: ${m.text()}`);
    });
    await page.exposeFunction('__reportCspViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { __reportCspViolation(v: string): void }).__reportCspViolation(
          `${e.violatedDirective} blocked ${e.blockedURI}`,
        );
      });
    });

    const response = await page.goto(`${suite.srv.server.url}/`);
    // The policy is really on: without it this test would prove nothing.
    expect(response?.headers()['content-security-policy']).toContain("'wasm-unsafe-eval'");
    await waitForScene(page, 'Home');
    await createRoom(page, 'Cee');
    await waitForFace(page);
    const detector = (await hook(page)).detector;
    expect(detector?.trials.find((t) => t.backend === 'wasm')?.ok).toBe(true);
    await configureGame(page, { rounds: 1, roundSeconds: 5, emotions: ['happy'] });
    await page.click('#start-game');
    await waitForScene(page, 'Final', 90_000);
    await shot(page, suite.dir, 'final');
    const h = await hook(page);
    expect(h.frameResults).toBeGreaterThan(5);
    expect(h.final?.entries.map((e) => e.nickname)).toEqual(['Cee']);
    expect(violations).toEqual([]);
  });
});
