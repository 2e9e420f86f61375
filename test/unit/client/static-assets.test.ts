/** server/http/static-assets.ts: the client, the face-api weights and the tfjs wasm come from our server. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precompressDir } from '../../../client/build/precompress.ts';
import {
  pickEncoding,
  registerClientAssets,
  resolveClientAssetPaths,
  TFJS_WASM_FILES,
} from '../../../server/http/static-assets.ts';

/** A bundle-like file big enough to be worth compressing. */
const BIG_JS = Array.from({ length: 400 }, (_, i) => `export const value${i} = 'emotion arena ${i}';`).join('\n');

/** What a missing file must never show: a path on the server's disk, or a protocol error label. */
async function expectPlain404(res: Response): Promise<void> {
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const body = await res.text();
  expect(body).toBe('Not found');
  expect(body).not.toMatch(/node_modules|INVALID_PAYLOAD|\/tmp|\/work|ENOENT/);
}

describe('registerClientAssets', () => {
  let base = '';
  let close: () => void = () => {};

  beforeAll(async () => {
    const dist = mkdtempSync(path.join(tmpdir(), 'arena-dist-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>arena</title>');
    writeFileSync(path.join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(path.join(dist, 'assets', 'big-abc.js'), BIG_JS);
    precompressDir(dist);
    const app = express();
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true });
    });
    registerClientAssets(app, { ...resolveClientAssetPaths(), clientDist: dist });
    // The game server's error handler (server/app.ts): anything passed on to it would be
    // labelled INVALID_PAYLOAD with the error's message, which is what a missing file once got.
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status((err as { status?: number }).status ?? 500).json({
        ok: false,
        error: { code: 'INVALID_PAYLOAD', message: String((err as Error).message ?? err) },
      });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('serves index.html for / and for join links', async () => {
    for (const url of ['/', '/?room=ABC23']) {
      const res = await fetch(base + url, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<title>arena</title>');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves hashed bundles with long caching and 404s for missing files', async () => {
    const js = await fetch(`${base}/assets/index-abc.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    await expectPlain404(await fetch(`${base}/assets/missing.js`));
  });

  it('sends the precompressed bundle to a browser that accepts it, with the original type', async () => {
    for (const [accept, encoding] of [
      ['gzip, deflate, br', 'br'],
      ['gzip, deflate', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
    ] as const) {
      const res = await fetch(`${base}/assets/big-abc.js`, { headers: { 'accept-encoding': accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe(encoding);
      expect(res.headers.get('content-type')).toMatch(/javascript/);
      expect(res.headers.get('vary')).toMatch(/Accept-Encoding/i);
      expect(Number(res.headers.get('content-length'))).toBeLessThan(BIG_JS.length / 3);
      // fetch decodes it: the same script comes out.
      expect(await res.text()).toBe(BIG_JS);
    }
    const plain = await fetch(`${base}/assets/big-abc.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(Number(plain.headers.get('content-length'))).toBe(BIG_JS.length);
  });

  it('picks br over gzip, honours q=0, and only offers files that exist', () => {
    const all = () => true;
    expect(pickEncoding('gzip, br', '/x.js', all)?.name).toBe('br');
    expect(pickEncoding('br;q=0, gzip;q=0.5', '/x.js', all)?.name).toBe('gzip');
    expect(pickEncoding('*', '/x.js', all)?.name).toBe('br');
    expect(pickEncoding('identity', '/x.js', all)).toBeNull();
    expect(pickEncoding(undefined, '/x.js', all)).toBeNull();
    expect(pickEncoding('br, gzip', '/x.js', (p) => p.endsWith('.gz'))?.file).toBe('/x.js.gz');
  });

  it('answers a plain 404 for missing files everywhere, naming nothing on disk', async () => {
    for (const url of [
      '/assets/missing.js',
      '/nope.png',
      '/models/face-api/nope.json',
      '/vendor/tfjs-wasm/nope.wasm',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/assets/%E0%A4%A.js',
    ]) {
      await expectPlain404(await fetch(base + url));
    }
  });

  it('serves only the tfjs wasm files the client loads', async () => {
    for (const name of TFJS_WASM_FILES) expect((await fetch(`${base}/vendor/tfjs-wasm/${name}`)).status).toBe(200);
    // The rest of the package's dist (threaded build, its JS, source maps) is not published.
    for (const name of [
      'tfjs-backend-wasm-threaded-simd.wasm',
      'tf-backend-wasm.js',
      'index.js',
      'tf-backend-wasm.min.js',
      '../package.json',
    ]) {
      await expectPlain404(await fetch(`${base}/vendor/tfjs-wasm/${name}`));
    }
  });

  it('serves the face-api TinyFaceDetector weights from node_modules', async () => {
    const manifest = await fetch(`${base}/models/face-api/tiny_face_detector_model-weights_manifest.json`);
    expect(manifest.status).toBe(200);
    const json = (await manifest.json()) as { paths: string[] }[];
    const bin = await fetch(`${base}/models/face-api/${json[0]!.paths[0]}`);
    expect(bin.status).toBe(200);
    expect((await bin.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    expect((await fetch(`${base}/models/face-api/nope.json`)).status).toBe(404);
  });

  it('serves the tfjs wasm binaries as application/wasm', async () => {
    const res = await fetch(`${base}/vendor/tfjs-wasm/tfjs-backend-wasm-simd.wasm`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/wasm');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]); // "\0asm"
  });

  it('leaves routes registered before it alone', async () => {
    const res = await fetch(`${base}/healthz`, { headers: { accept: 'text/html' } });
    expect(await res.json()).toEqual({ ok: true });
  });
});
