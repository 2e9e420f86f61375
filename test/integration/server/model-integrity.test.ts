/**
 * A damaged model is never served (issue 17, item 4). A copy of the shipped model folder with
 * its SHA256SUMS: 4 KB overwritten inside model.int8.onnx, a truncated int8 file, or an unlisted
 * file is refused on load and on reload (the old model keeps serving, and says why); a reload that
 * changes engine or precision is logged at warn level and shown in /healthz.
 */
import { closeSync, cpSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../../server/logging.ts';
import { silentLogger } from '../../../server/logging.ts';
import { createEmotionEngine } from '../../../server/ml/engine/create-engine.ts';
import { type LoadedEngine, ModelHost, verifyingLoader } from '../../../server/ml/engine/model-host.ts';
import { HASHES_FILE } from '../../../server/ml/model-folder/files.ts';
import { verifyModelHashes, writeModelHashes } from '../../../server/ml/model-folder/hashes.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { shippedModelDir, startTestServer } from '../../helpers/server-harness.ts';

const shipped = shippedModelDir();

/** A logger that keeps warn lines, to see what an operator would read. */
function recordingLogger(lines: { level: string; obj: unknown; msg?: string }[]): Logger {
  const log = silentLogger();
  const rec = (level: string) => (obj: unknown, msg?: string) => {
    lines.push({ level, obj, msg });
  };
  return Object.assign(Object.create(log) as Logger, { warn: rec('warn'), error: rec('error'), child: () => log });
}

function copyModel(root: string, name: string): string {
  const dir = join(root, name);
  cpSync(shipped as string, dir, { recursive: true });
  return dir;
}

const loadRaw = async (dir: string): Promise<LoadedEngine> => createEmotionEngine({ modelDir: dir, workers: 1 });
const frame = new Uint8Array(FRAME_BYTES).fill(90);
/** Each case starts inference workers, some twice: minutes on a busy 2-core machine. */
const SLOW = 300_000;

describe.skipIf(!shipped)('model file hashes', () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'arena-hashes-'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('the shipped model folder matches its committed SHA256SUMS', async () => {
    expect(await verifyModelHashes(shipped as string)).toMatchObject({ verified: true });
  });

  it('refuses to load a folder with 4 KB overwritten inside model.int8.onnx, naming the file', async () => {
    const dir = copyModel(root, 'damaged');
    const fd = openSync(join(dir, 'model.int8.onnx'), 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x41), 0, 4096, 200_000);
    closeSync(fd);
    await expect(verifyingLoader(loadRaw, silentLogger())(dir)).rejects.toThrow(
      /model\.int8\.onnx does not match its sha256 in SHA256SUMS/,
    );
  });

  it(
    'on reload refuses a truncated int8 file and an unlisted file; the old model keeps serving',
    async () => {
      const dir = copyModel(root, 'served');
      const lines: { level: string; obj: unknown; msg?: string }[] = [];
      const log = recordingLogger(lines);
      const load = verifyingLoader(loadRaw, log);
      const host = new ModelHost(await load(dir), load, log);
      try {
        expect(host.modelInfo.filesVerified).toBe(true);
        const before = await host.predict([frame]);
        const nameBefore = host.name;

        truncateSync(join(dir, 'model.int8.onnx'), 100_000);
        const r = await host.reload();
        expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/model\.int8\.onnx does not match/) });
        expect(host.name).toBe(nameBefore);
        expect(Array.from((await host.predict([frame]))[0] as Float32Array)).toEqual(
          Array.from(before[0] as Float32Array),
        );
        expect(lines.some((l) => l.level === 'error' && /reload refused/.test(l.msg ?? ''))).toBe(true);

        cpSync(join(shipped as string, 'model.int8.onnx'), join(dir, 'model.int8.onnx'));
        writeFileSync(join(dir, 'extra.onnx'), 'an unverified file someone dropped in');
        const r2 = await host.reload();
        expect(r2).toMatchObject({
          ok: false,
          error: expect.stringMatching(/extra\.onnx not listed in SHA256SUMS/),
        });
        expect(host.name).toBe(nameBefore);
      } finally {
        await host.dispose();
      }
    },
    SLOW,
  );

  it(
    'logs a reload that changes the precision at warn level and shows it in /healthz',
    async () => {
      const dir = copyModel(root, 'precision');
      const lines: { level: string; obj: unknown; msg?: string }[] = [];
      const log = recordingLogger(lines);
      const load = verifyingLoader(loadRaw, log);
      const host = new ModelHost(await load(dir), load, log);
      const server = await startTestServer({ engine: host, modelInfo: () => host.modelInfo });
      try {
        expect(host.name).toMatch(/^onnx-int8/);
        // An intended change, re-hashed: the int8 file is gone, so the server falls back to fp32 ONNX.
        rmSync(join(dir, 'model.int8.onnx'));
        await writeModelHashes(dir);
        expect((await host.reload()).ok).toBe(true);
        expect(host.name).toMatch(/^onnx[ ,]/); // "onnx (...)" or "onnx, calibrated (...)"
        const warn = lines.find(
          (l) => l.level === 'warn' && /changed the inference engine or precision/.test(l.msg ?? ''),
        );
        // The engine descriptor before the worker count: precision, and whether calibration / TTA apply.
        const change = { from: expect.stringMatching(/^onnx-int8\b/), to: expect.stringMatching(/^onnx(,|$)/) };
        expect(warn?.obj).toMatchObject(change);
        const health = (await (await fetch(`${server.url}/healthz`)).json()) as {
          model: { dir: string; filesVerified: boolean; engineChange: { from: string; to: string } | null };
        };
        // The folder lives outside the project (a temp dir): only its name is shown, never the host's layout.
        expect(health.model.dir).toBe(basename(dir));
        expect(health.model.filesVerified).toBe(true);
        expect(health.model.engineChange).toMatchObject(change);
      } finally {
        await server.close();
        await host.dispose();
      }
    },
    SLOW,
  );

  it(
    'serves a folder without SHA256SUMS with a warning, and says it is unverified',
    async () => {
      const dir = copyModel(root, 'unlisted');
      rmSync(join(dir, HASHES_FILE));
      const lines: { level: string; obj: unknown; msg?: string }[] = [];
      const engine = await verifyingLoader(loadRaw, recordingLogger(lines))(dir);
      try {
        expect(engine.modelInfo.filesVerified).toBe(false);
        expect(lines.some((l) => l.level === 'warn' && /not verified/.test(l.msg ?? ''))).toBe(true);
      } finally {
        await engine.dispose();
      }
    },
    SLOW,
  );
});
