/**
 * What a page on another site gets when it tries to use a visitor's browser against this
 * server (issue 17, items 10 and 11): no Socket.IO connection from a foreign Origin, and
 * no framing of the game; a same-origin page and non-browser clients still connect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBot, markerEngine, startTestServer, type TestServer } from '../../helpers/server-harness.ts';

async function refusal(url: string, origin: string, transport: 'websocket' | 'polling'): Promise<string | null> {
  try {
    const bot = await connectBot(url, { transports: [transport], extraHeaders: { origin } });
    bot.disconnect();
    return null;
  } catch (e) {
    return String((e as Error).message);
  }
}

describe('web security', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      engine: markerEngine(),
      serveClient: true,
      allowedOrigins: ['https://arena.example.org'],
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses a Socket.IO connection from a foreign Origin, over WebSocket and long-polling', async () => {
    expect(await refusal(server.url, 'https://evil.example.com', 'websocket')).not.toBeNull();
    expect(await refusal(server.url, 'https://evil.example.com', 'polling')).not.toBeNull();
    expect(await refusal(server.url, 'null', 'polling')).not.toBeNull();
    // The same host on another port is another origin.
    const port = Number(new URL(server.url).port);
    expect(await refusal(server.url, `http://127.0.0.1:${port + 1}`, 'polling')).not.toBeNull();
    // The handshake says why.
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'https://evil.example.com' },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('ALLOWED_ORIGINS');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/emotion_arena_rejected_connections_total\{reason="origin"\} [1-9]/);
  });

  it("lets the server's own pages, configured origins and non-browser clients connect", async () => {
    expect(await refusal(server.url, server.url, 'websocket')).toBeNull();
    expect(await refusal(server.url, server.url, 'polling')).toBeNull();
    expect(await refusal(server.url, 'https://arena.example.org', 'websocket')).toBeNull();
    const bot = await connectBot(server.url); // no Origin header at all
    expect(bot.connected).toBe(true);
    bot.disconnect();
  });

  it('sends a Content-Security-Policy, frame denial and nosniff on pages and API answers', async () => {
    for (const path of ['/', '/healthz', '/api/leaderboard']) {
      const res = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
      const csp = res.headers.get('content-security-policy') ?? '';
      expect({ path, csp }).toMatchObject({ csp: expect.stringContaining("frame-ancestors 'none'") });
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(csp).not.toContain("'unsafe-eval'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});
