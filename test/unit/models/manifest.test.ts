import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  emptyManifest,
  formatManifest,
  type ManifestEntry,
  parseManifest,
  upsertEntry,
} from '../../../scripts/models/manifest.ts';
import { lineage, summariseMetrics } from '../../../scripts/models/metrics-summary.ts';
import { fileLocation, resolveSource } from '../../../scripts/models/source.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SHA = 'a'.repeat(64);

function entry(name: string, over: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    name,
    description: `model ${name}`,
    architecture: 'vgg16',
    parent: null,
    teacher: null,
    metrics: {},
    release: `models-${name}`,
    size: 3,
    files: [{ name: 'model.json', size: 3, sha256: SHA }],
    ...over,
  };
}

function text(entries: ManifestEntry[]): string {
  return JSON.stringify({ schema: 1, baseUrl: 'https://example.org/releases/download', models: entries });
}

describe('models/MANIFEST.json as committed', () => {
  const manifest = parseManifest(readFileSync(resolve(ROOT, 'models/MANIFEST.json'), 'utf8'));

  it('lists the history that left the clone, with metrics, hashes and a release for each', () => {
    const names = manifest.models.map((e) => e.name);
    for (const n of ['seed', 'seed-1epoch', 'vgg16-base', 'vgg16-kd2', 'vgg16-pytorch-init', 'vgg16-pt-kd2']) {
      expect(names).toContain(n);
    }
    for (const e of manifest.models) {
      expect(e.metrics.fer2013?.PublicTest).toBeGreaterThan(0.3);
      expect(e.files.map((f) => f.name)).toContain('SHA256SUMS');
    }
  });

  it('chains the served model back to the first distillation round', () => {
    const parentOf = new Map(manifest.models.map((e) => [e.name, e.parent]));
    const chain: string[] = [];
    for (let n: string | null | undefined = 'emotion-2026-11-30'; n; n = parentOf.get(n)) chain.push(n);
    expect(chain).toEqual(['emotion-2026-11-30', 'vgg16-pt-kd2', 'vgg16-pt-kd1', 'vgg16-pytorch-init']);
  });

  it('is in canonical form (models:pack rewrites it that way)', () => {
    expect(formatManifest(manifest)).toBe(readFileSync(resolve(ROOT, 'models/MANIFEST.json'), 'utf8'));
  });
});

describe('parseManifest', () => {
  it('round-trips a valid manifest', () => {
    const m = parseManifest(text([entry('a'), entry('b', { parent: 'a', teacher: 'a' })]));
    expect(parseManifest(formatManifest(m))).toEqual(m);
  });

  it('names the field and the problem', () => {
    const bad = entry('a', { files: [{ name: '../x', size: 3, sha256: 'ABC' }] });
    expect(() => parseManifest(text([bad]), 'm.json')).toThrow(
      'm.json is invalid: models[0].files[0].name: must be a plain file name (no "/", no leading dot); ' +
        'models[0].files[0].sha256: must be 64 lowercase hex digits',
    );
    expect(() => parseManifest('{', 'm.json')).toThrow(/^m\.json is invalid: not valid JSON/);
    expect(() => parseManifest(JSON.stringify({ schema: 2, baseUrl: 'x', models: [] }), 'm.json')).toThrow(
      /m\.json is invalid: schema: .*; baseUrl: must be an http\(s\) URL/,
    );
  });

  it('refuses duplicate names, unknown parents and sizes that do not add up', () => {
    expect(() => parseManifest(text([entry('a'), entry('a')]))).toThrow(/models\[1\] \(a\): the name is listed twice/);
    expect(() => parseManifest(text([entry('a', { parent: 'gone' })]))).toThrow(
      /models\[0\] \(a\): parent "gone" is not a model in the manifest/,
    );
    expect(() => parseManifest(text([entry('a', { size: 4 })]))).toThrow(/size is 4 but its files add up to 3/);
  });

  it('upsertEntry replaces an entry of the same name', () => {
    const m = upsertEntry(upsertEntry(emptyManifest('https://x.org'), entry('a')), entry('a', { description: 'new' }));
    expect(m.models).toHaveLength(1);
    expect(m.models[0]?.description).toBe('new');
  });
});

describe('summariseMetrics and lineage', () => {
  const seedMetrics: unknown = JSON.parse(
    readFileSync(resolve(ROOT, 'test/fixtures/models/seed-metrics.json'), 'utf8'),
  );

  it('keeps the FER2013 accuracies (plain and flip TTA) and the size of the network', () => {
    expect(summariseMetrics(seedMetrics)).toEqual({
      params: 1678023,
      flopsPerImage: 38232064,
      epochs: 30,
      fer2013: { PublicTest: 0.5508, PrivateTest: 0.567 },
      fer2013FlipTta: { PublicTest: 0.5592, PrivateTest: 0.5779 },
    });
  });

  it('keeps as-served accuracies by label set, and tolerates missing or odd fields', () => {
    const m = { asServed: { ferplus: { PublicTest: { accuracy: 0.68974 } }, junk: 3 }, evaluation: null };
    expect(summariseMetrics(m)).toEqual({ asServed: { ferplus: { PublicTest: 0.6897 } } });
    expect(summariseMetrics(null)).toEqual({});
  });

  it('reads the warm-start parent and teacher as folder names', () => {
    const m = { architecture: 'vgg16', training: { initFrom: 'models/vgg16-pt-kd1/', teacher: '/abs/models/t' } };
    expect(lineage(m)).toEqual({ parent: 'vgg16-pt-kd1', teacher: 't', architecture: 'vgg16' });
    expect(lineage(seedMetrics)).toEqual({ parent: null, teacher: null, architecture: 'seed' });
  });
});

describe('resolveSource', () => {
  const base = 'https://github.com/acme/emotion-arena/releases/download/';

  it('prefers --from, then MODELS_BASE_URL, then the manifest', () => {
    expect(resolveSource('http://mirror:8080/r/', 'https://env', base)).toEqual({
      kind: 'http',
      base: 'http://mirror:8080/r',
    });
    expect(resolveSource(undefined, 'https://env.example/r', base)).toEqual({
      kind: 'http',
      base: 'https://env.example/r',
    });
    expect(resolveSource(undefined, undefined, base)).toEqual({ kind: 'http', base: base.slice(0, -1) });
  });

  it('takes a folder or a file:// URL as a local mirror', () => {
    expect(resolveSource('file:///srv/release', undefined, base)).toEqual({ kind: 'dir', root: '/srv/release' });
    expect(resolveSource('/srv/release', undefined, base)).toEqual({ kind: 'dir', root: '/srv/release' });
  });

  it('refuses other schemes, a bad MODELS_BASE_URL and an unset baseUrl with a message that says what to do', () => {
    expect(() => resolveSource('ftp://x/y', undefined, base)).toThrow(
      /only http:\/\/, https:\/\/, file:\/\/ or a local folder/,
    );
    expect(() => resolveSource(undefined, 'mirror/dir', base)).toThrow(
      'MODELS_BASE_URL=mirror/dir is not an http(s) URL',
    );
    expect(() =>
      resolveSource(undefined, undefined, 'https://github.com/<owner>/emotion-arena/releases/download'),
    ).toThrow(/has not been set to the project's release page yet; set it there .*set MODELS_BASE_URL, or pass --from/);
  });

  it('puts a file at <base>/<release>/<file>', () => {
    expect(fileLocation({ kind: 'http', base: 'https://h/d' }, 'models-seed', 'weights.bin')).toBe(
      'https://h/d/models-seed/weights.bin',
    );
    expect(fileLocation({ kind: 'dir', root: '/m' }, 'models-seed', 'weights.bin')).toBe('/m/models-seed/weights.bin');
  });
});
