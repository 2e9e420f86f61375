/**
 * Model hot reload: the admin endpoint (bearer token) and the folder watch swap in a
 * new model without dropping games; a broken model is refused and the old one serves.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logging.ts';
import { type FolderWatch, watchModelFolder } from '../../../server/ml/engine/model-folder-watcher.ts';
import { type LoadedEngine, ModelHost } from '../../../server/ml/engine/model-host.ts';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { startTestServer, type TestServer } from '../../helpers/server-harness.ts';

/** A loader that reads `version` from <dir>/model.json; "broken" folders fail to load. */
function fakeLoader(disposed: string[]) {
  return async (dir: string): Promise<LoadedEngine> => {
    const { readFileSync } = await import('node:fs');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { version: string; broken?: boolean };
    if (json.broken) throw new Error(`model folder ${dir}: weights.bin is truncated`);
    const version = json.version;
    return {
      name: `fake ${version}`,
      modelInfo: { dir, architecture: version, metrics: null },
      async predict(frames) {
        await new Promise((r) => setTimeout(r, 20));
        return frames.map(() => new Float32Array(EMOTION_COUNT).fill(1 / EMOTION_COUNT));
      },
      async dispose() {
        disposed.push(version);
      },
    };
  };
}

function writeModel(dir: string, body: object) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify(body));
}

describe('model reload', () => {
  let server: TestServer | null = null;
  let host: ModelHost | null = null;
  let folderWatch: FolderWatch | null = null;
  let root = '';
  afterEach(async () => {
    folderWatch?.stop();
    folderWatch = null;
    await server?.close();
    server = null;
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('admin reload needs the bearer token, swaps the model, and refuses a broken folder', async () => {
    root = mkdtempSync(join(tmpdir(), 'arena-reload-'));
    const dir = join(root, 'emotion');
    writeModel(dir, { version: 'v1' });
    const disposed: string[] = [];
    const load = fakeLoader(disposed);
    host = new ModelHost(await load(dir), load, silentLogger());
    const h = host;
    server = await startTestServer({
      engine: h,
      modelInfo: () => h.modelInfo,
      reloadModel: () => h.reload(),
      adminToken: 'an-admin-token-of-some-length',
    });
    const url = `${server.url}/api/admin/reload-model`;
    expect((await fetch(url, { method: 'POST' })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);

    // A prediction in flight on v1 while v2 is swapped in still completes on v1.
    const inFlight = h.predict([new Uint8Array(2304)]);
    writeModel(dir, { version: 'v2' });
    const auth = { authorization: 'Bearer an-admin-token-of-some-length' };
    const ok = await fetch(url, { method: 'POST', headers: auth });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { data: { architecture: string } }).data.architecture).toBe('v2');
    expect(await inFlight).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(disposed).toEqual(['v1']);

    writeModel(dir, { version: 'v3', broken: true });
    const refused = await fetch(url, { method: 'POST', headers: auth });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('truncated');
    expect(h.modelInfo.architecture).toBe('v2');
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { model: { architecture: string } };
    expect(health.model.architecture).toBe('v2');
  });

  it('the folder watch picks up a model published by atomic rename', async () => {
    root = mkdtempSync(join(tmpdir(), 'arena-watch-'));
    const dir = join(root, 'emotion');
    writeModel(dir, { version: 'v1' });
    const load = fakeLoader([]);
    host = new ModelHost(await load(dir), load, silentLogger());
    const h = host;
    const results: string[] = [];
    const swapped = new Promise<void>((resolve) => {
      folderWatch = watchModelFolder(
        dir,
        async () => {
          const r = await h.reload(dir);
          results.push(r.ok ? r.model.architecture : `refused: ${r.error}`);
          if (r.ok) resolve();
        },
        silentLogger(),
        200,
      );
    });
    const tmp = join(root, 'emotion.tmp');
    writeModel(tmp, { version: 'v2' });
    renameSync(dir, join(root, 'emotion.old'));
    renameSync(tmp, dir);
    await swapped;
    expect(host.modelInfo.architecture).toBe('v2');
    expect(results.at(-1)).toBe('v2');
  });
});
