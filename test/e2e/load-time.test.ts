/**
 * How soon a player on a slow connection can use the home screen: the client is served
 * precompressed, and the home screen does not wait for face-api and tfjs (a separate chunk,
 * loaded after it). Measured in Chromium with DevTools' "Fast 3G" throttling (1.44 Mbit/s down,
 * 562 ms round trip); prints the figures (a benchmark's job, so only the order of events and
 * the encodings are asserted, not the milliseconds).
 */
import { describe, expect, it } from 'vitest';
import { hook, setUpE2ESuite } from './support.ts';

/** Chrome DevTools' "Fast 3G" preset. */
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: 180_000, uploadThroughput: 84_375 };

describe('loading on a slow connection', () => {
  const suite = setUpE2ESuite('load-time', { allowMarker: true, players: [{ face: null, name: 'slow' }] });

  it('serves the client compressed and makes home interactive before face-api has loaded', async () => {
    const { page } = suite.players[0]!;
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', FAST_3G);
    const scripts: { url: string; encoding: string | null; bytes: number }[] = [];
    page.on('response', async (res) => {
      const url = new URL(res.url());
      if (!url.pathname.startsWith('/assets/') || !url.pathname.endsWith('.js')) return;
      const headers = await res.allHeaders();
      scripts.push({
        url: url.pathname,
        encoding: headers['content-encoding'] ?? null,
        bytes: Number(headers['content-length'] ?? 0),
      });
    });
    await page.goto(suite.srv.server.url, { waitUntil: 'commit' });
    await page.waitForSelector('#create-room', { state: 'visible', timeout: 120_000 });
    await page.waitForFunction(() => window.__arena?.timings.detectorReadyAtMs != null, undefined, {
      timeout: 180_000,
      polling: 200,
    });
    const t = (await hook(page)).timings;
    const total = scripts.reduce((a, s) => a + s.bytes, 0);
    console.log(
      `Fast 3G (1.44 Mbit/s, 562 ms RTT): home interactive after ${t.interactiveAtMs} ms; ` +
        `face detector ready after ${t.detectorReadyAtMs} ms; scripts ${Math.round(total / 1024)} kB on the wire: ` +
        scripts
          .map((s) => `${s.url.replace(/-[\w-]+\.js$/, '')} ${Math.round(s.bytes / 1024)} kB ${s.encoding}`)
          .join(', '),
    );
    // Every script worth compressing came compressed (Chromium accepts gzip and br); the build
    // leaves files under 1 kB as they are.
    const big = scripts.filter((s) => s.encoding !== null || s.bytes >= 1024);
    expect(big.length).toBeGreaterThanOrEqual(4);
    for (const s of big) expect(s.encoding ?? 'none', s.url).toMatch(/^(br|gzip)$/);
    // The home screen did not wait for face-api: it was usable first.
    expect(t.interactiveAtMs!).toBeLessThan(t.detectorReadyAtMs!);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
  });
});
