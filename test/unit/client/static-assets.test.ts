/** server/http/static-assets.ts: the client, the face-api weights and the tfjs wasm come from our server. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClientAssets, resolveClientAssetPaths } from '../../../server/http/static-assets.ts';

describe('registerClientAssets', () => {
  let base = '';
  let close: () => void = () => {};

  beforeAll(async () => {
    const dist = mkdtempSync(path.join(tmpdir(), 'arena-dist-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>arena</title>');
    writeFileSync(path.join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
    const app = express();
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true });
    });
    registerClientAssets(app, { ...resolveClientAssetPaths(), clientDist: dist });
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
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
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
