/**
 * models:fetch against a local HTTP server (node:http) serving release files that models:pack
 * wrote from a random vgg8 folder: the success path leaves a folder the server accepts, every
 * failure path says what went wrong and installs nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../bench/free-port.ts';
import { main } from '../../../scripts/models/cli.ts';
import { emptyManifest } from '../../../scripts/models/manifest.ts';
import { writeManifest } from '../../../scripts/models/manifest-file.ts';
import { packModel } from '../../../scripts/models/pack-model.ts';
import { createEmotionEngine } from '../../../server/ml/engine/create-engine.ts';
import { verifyingLoader } from '../../../server/ml/engine/model-host.ts';
import { verifyModelHashes } from '../../../server/ml/model-folder/hashes.ts';
import { saveRandomModel, type TempModel } from '../../helpers/model-fixture.ts';

let model: TempModel;
let root: string;
let releaseDir: string;
let manifestFile: string;
let server: Server;
let baseUrl: string;
/** When set, the server flips one byte of this file in what it sends. */
let corruptFile: string | null = null;
/** When set, the server sends half of this file and drops the connection. */
let dropFile: string | null = null;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Folders under `dir` other than the expected ones: temp leftovers of a failed fetch. */
async function leftovers(dir: string): Promise<string[]> {
  return existsSync(dir) ? (await readdir(dir)).filter((n) => n.startsWith('.')) : [];
}

beforeAll(async () => {
  model = await saveRandomModel('vgg8', 7);
  await writeFile(join(model.dir, 'metrics.json'), JSON.stringify({ architecture: 'vgg8', epochs: 1 }));
  root = await mkdtemp(join(tmpdir(), 'ea-models-fetch-'));
  releaseDir = join(root, 'release');
  manifestFile = join(root, 'MANIFEST.json');
  const packed = await packModel({
    manifest: emptyManifest('https://github.com/<owner>/emotion-arena/releases/download'),
    name: 'tiny',
    dir: model.dir,
    outRoot: releaseDir,
    description: 'random vgg8 for the fetch tests',
  });
  await writeManifest(manifestFile, packed.manifest);
  server = createServer(async (req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(releaseDir, rel);
    if (!file.startsWith(releaseDir) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = await readFile(file);
    if (corruptFile && rel.endsWith(`/${corruptFile}`)) {
      const mid = Math.floor(body.length / 2);
      body[mid] = (body[mid] ?? 0) ^ 0x01;
    }
    if (dropFile && rel.endsWith(`/${dropFile}`)) {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await rm(root, { recursive: true, force: true });
  await model?.cleanup();
});

describe('npm run models:fetch', () => {
  let models: string;
  beforeEach(async () => {
    corruptFile = null;
    dropFile = null;
    models = await mkdtemp(join(root, 'models-'));
  });

  it('downloads over http, checks every sha256 and installs a folder the server accepts', async () => {
    const dest = join(models, 'tiny');
    const r = await cli('fetch', 'tiny', '--from', baseUrl, '--manifest', manifestFile, '--dest', dest);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/tiny: installed in .*tiny \(\d+ files, [\d.]+ MB, sha256 checked\)/);
    // The server's own loader: SHA256SUMS first (model-host), then the engine (create-engine).
    const load = verifyingLoader(
      (dir) => createEmotionEngine({ modelDir: dir, workers: 1 }),
      pino({ level: 'silent' }),
    );
    const engine = await load(dest);
    try {
      expect(engine.modelInfo.filesVerified).toBe(true);
      const [probs] = await engine.predict([new Uint8Array(48 * 48)]);
      expect(probs).toHaveLength(7);
    } finally {
      await engine.dispose();
    }
    expect(await leftovers(models)).toEqual([]);

    const again = await cli('fetch', 'tiny', '--from', baseUrl, '--manifest', manifestFile, '--dest', dest);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already installed and verified/);
  });

  it('installs from a local mirror folder and from a file:// URL', async () => {
    const a = await cli('fetch', 'tiny', '--from', releaseDir, '--manifest', manifestFile, '--dest', join(models, 'a'));
    const b = await cli(
      'fetch',
      'tiny',
      '--from',
      `file://${releaseDir}`,
      '--manifest',
      manifestFile,
      '--dest',
      join(models, 'b'),
    );
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(await verifyModelHashes(join(models, 'b'))).toMatchObject({ verified: true });
  });

  it('refuses a download with one corrupted byte, says so and installs nothing', async () => {
    corruptFile = 'weights.bin';
    const dest = join(models, 'tiny');
    const r = await cli('fetch', 'tiny', '--from', baseUrl, '--manifest', manifestFile, '--dest', dest);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^error: http:\/\/127\.0\.0\.1:\d+\/models-tiny\/weights\.bin does not match models\/MANIFEST\.json \(sha256 [0-9a-f]{64}, \d+ bytes; expected [0-9a-f]{64}, \d+ bytes\): the download is damaged or the release was changed after the manifest was written; nothing was installed$/,
    );
    expect(existsSync(dest)).toBe(false);
    expect(await leftovers(models)).toEqual([]);
  });

  it('names the known models when asked for an unknown one', async () => {
    const r = await cli('fetch', 'nope', '--from', baseUrl, '--manifest', manifestFile, '--dest', join(models, 'nope'));
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: unknown model "nope": models/MANIFEST.json lists tiny');
    expect(existsSync(join(models, 'nope'))).toBe(false);
  });

  it('says the connection was refused when the server is down, and installs nothing', async () => {
    const port = await freePort();
    const dest = join(models, 'tiny');
    const r = await cli(
      'fetch',
      'tiny',
      '--from',
      `http://127.0.0.1:${port}`,
      '--manifest',
      manifestFile,
      '--dest',
      dest,
    );
    expect(r.code).toBe(1);
    // The first file of the release (sorted) is where it stops.
    expect(r.err).toBe(
      `error: cannot download http://127.0.0.1:${port}/models-tiny/SHA256SUMS: connection refused (ECONNREFUSED); ` +
        'check the network, or pass --from <mirror URL or folder>',
    );
    expect(existsSync(dest)).toBe(false);
    expect(await leftovers(models)).toEqual([]);
  });

  it('says the download broke off when the server drops the connection, and installs nothing', async () => {
    dropFile = 'weights.bin';
    const dest = join(models, 'tiny');
    const r = await cli('fetch', 'tiny', '--from', baseUrl, '--manifest', manifestFile, '--dest', dest);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^error: cannot download http:\/\/127\.0\.0\.1:\d+\/models-tiny\/weights\.bin: the connection broke off before the file was complete \(other side closed\); check the network, or pass --from <mirror URL or folder>$/,
    );
    expect(existsSync(dest)).toBe(false);
    expect(await leftovers(models)).toEqual([]);
  });

  it('says a missing release file (HTTP 404) is probably an unpublished release', async () => {
    const r = await cli(
      'fetch',
      'tiny',
      '--from',
      `${baseUrl}/elsewhere`,
      '--manifest',
      manifestFile,
      '--dest',
      join(models, 't'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/HTTP 404 Not Found \(is the release published\? see docs\/training\.md/);
    expect(await leftovers(models)).toEqual([]);
  });

  it('keeps an existing different folder unless --force, then replaces it whole', async () => {
    const dest = join(models, 'tiny');
    await mkdir(dest);
    await writeFile(join(dest, 'model.json'), '{}');
    const refused = await cli('fetch', 'tiny', '--from', baseUrl, '--manifest', manifestFile, '--dest', dest);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/already exists and is not the published tiny \(.*\); pass --force to replace it/);
    expect(await readFile(join(dest, 'model.json'), 'utf8')).toBe('{}');

    const forced = await cli('fetch', 'tiny', '--from', baseUrl, '--manifest', manifestFile, '--dest', dest, '--force');
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/tiny: replaced in/);
    expect(await verifyModelHashes(dest)).toMatchObject({ verified: true });
    expect(await leftovers(models)).toEqual([]);
  });

  it('refuses the network while the manifest baseUrl is the placeholder, and bad names and flags', async () => {
    const noFrom = await cli('fetch', 'tiny', '--manifest', manifestFile, '--dest', join(models, 'x'));
    expect(noFrom.err).toMatch(/baseUrl .* has not been set to the project's release page yet/);
    const badName = await cli('fetch', '../etc', '--manifest', manifestFile);
    expect(badName.err).toMatch(/^error: "\.\.\/etc" is not a model name/);
    const badFlag = await cli('fetch', 'tiny', '--form', baseUrl, '--manifest', manifestFile);
    expect(badFlag.err).toMatch(/^error: Unknown option '--form'/);
    const twoNames = await cli('fetch', 'tiny', 'other', '--manifest', manifestFile);
    expect(twoNames.err).toMatch(/^error: fetch takes exactly one model name \(got tiny other\)/);
    expect([noFrom.code, badName.code, badFlag.code, twoNames.code]).toEqual([1, 1, 1, 1]);
  });

  it('stops with the field and the problem when the manifest is invalid', async () => {
    const bad = join(root, 'bad-manifest.json');
    const text = (await readFile(manifestFile, 'utf8')).replace(/"sha256": "[0-9a-f]{64}"/, '"sha256": "abc"');
    await writeFile(bad, text);
    const r = await cli('fetch', 'tiny', '--from', baseUrl, '--manifest', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /bad-manifest\.json is invalid: models\[0\]\.files\[0\]\.sha256: must be 64 lowercase hex digits/,
    );
  });
});
