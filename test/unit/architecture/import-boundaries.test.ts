/**
 * The import rules of docs/architecture.md, checked on every source file: a
 * change that breaks one fails here with the file, line and specifier.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BoundaryRule, findImportCycles, findViolations, importsOf, reachableFiles } from './import-scanner.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SOURCE_DIRS = ['shared', 'server', 'client', 'training', 'bench', 'scripts', 'test'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'fixtures']);

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(child);
      } else if (/\.(ts|mts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.set(child, readFileSync(path.join(ROOT, child), 'utf8'));
      }
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return files;
}

const under = (dir: string) => (file: string) => file.startsWith(`${dir}/`);
const isFileUnder =
  (...dirs: string[]) =>
  (t: { kind: 'file' | 'package'; name: string }) =>
    t.kind === 'file' && dirs.some((d) => t.name.startsWith(`${d}/`));
/** Packages the game core must not touch: transport, storage, inference (a name also covers `name/…` and `name-…`). */
const IO_PACKAGES = [
  'socket.io',
  '@socket.io',
  'express',
  'http',
  'https',
  'node:http',
  'node:https',
  'pg',
  'better-sqlite3',
  'ioredis',
  'onnxruntime',
  '@tensorflow',
];

const RULES: readonly BoundaryRule[] = [
  {
    name: 'shared/ imports only shared/ and browser-safe packages',
    appliesTo: under('shared'),
    forbids: (t) => (t.kind === 'file' ? !t.name.startsWith('shared/') : t.name.startsWith('node:')),
  },
  {
    name: 'client/ never imports server/ or training/',
    appliesTo: under('client'),
    forbids: isFileUnder('server', 'training'),
  },
  {
    name: 'server/ never imports training/ (npm start must not load the offline tools)',
    appliesTo: under('server'),
    forbids: isFileUnder('training', 'bench'),
  },
  {
    name: 'server/game/ is pure rules: no socket, HTTP, database, model runtime or adapter',
    appliesTo: under('server/game'),
    forbids: (t) =>
      isFileUnder('server/net', 'server/http', 'server/store', 'server/ml')(t) ||
      (t.kind === 'package' &&
        IO_PACKAGES.some(
          (p) => t.name === p || t.name.startsWith(`${p}/`) || (p.endsWith('runtime') && t.name.startsWith(p)),
        )),
  },
];

describe('the scanner', () => {
  it('finds static, type-only, re-exported, dynamic and worker imports, and skips comments', () => {
    const source = [
      "import * as tf from '@tensorflow/tfjs';",
      "import type { A } from './a.ts';",
      'import {',
      '  type B,',
      '  c,',
      "} from '../b.ts';",
      "export { d } from './d.ts';",
      "export * from './e.ts';",
      "import './side-effect.ts';",
      "// import { x } from '../../training/commented.ts';",
      "/* import '../../training/block.ts'; */",
      "const url = 'http://example.com'; // a string with // is not a comment",
      "const m = await import('./lazy.ts');",
      "const w = new URL('./worker.ts', import.meta.url);",
      "export const NAME = 'not-an-import';",
    ].join('\n');
    expect(importsOf(source)).toEqual([
      { specifier: '@tensorflow/tfjs', line: 1 },
      { specifier: './a.ts', line: 2 },
      { specifier: '../b.ts', line: 3 },
      { specifier: './d.ts', line: 7 },
      { specifier: './e.ts', line: 8 },
      { specifier: './side-effect.ts', line: 9 },
      { specifier: './lazy.ts', line: 13 },
      { specifier: './worker.ts', line: 14 },
    ]);
  });

  it('reports each rule a fake tree breaks, and nothing for allowed imports', () => {
    const fake = new Map([
      ['shared/frame.ts', "import { z } from 'zod';\nimport { x } from '../server/config.ts';"],
      ['client/src/main.ts', "import { y } from '../../shared/frame.ts';\nimport { s } from '../../server/app.ts';"],
      ['server/ml/engine/pool.ts', "import { t } from '../../../training/retrain/cli.ts';"],
      ['server/net/handlers.ts', "import { r } from '../game/room.ts';"],
      [
        'server/game/room.ts',
        [
          "import { e } from '../../shared/emotions.ts';",
          "import { Server } from 'socket.io';",
          "import * as ort from 'onnxruntime-node';",
          "import { get } from 'node:http';",
          "import { Store } from '../store/types.ts';",
          "import type { EmotionEngine } from '../ml/engine/types.ts';",
        ].join('\n'),
      ],
      ['training/retrain/cli.ts', "import { createEmotionEngine } from '../../server/ml/engine/create-engine.ts';"],
    ]);
    const found = findViolations(fake, RULES).map((v) => `${v.file}:${v.line} ${v.specifier}`);
    expect(found.sort()).toEqual(
      [
        'shared/frame.ts:2 ../server/config.ts',
        'client/src/main.ts:2 ../../server/app.ts',
        'server/ml/engine/pool.ts:1 ../../../training/retrain/cli.ts',
        'server/game/room.ts:2 socket.io',
        'server/game/room.ts:3 onnxruntime-node',
        'server/game/room.ts:4 node:http',
        'server/game/room.ts:5 ../store/types.ts',
        'server/game/room.ts:6 ../ml/engine/types.ts',
      ].sort(),
    );
  });
});

describe('the import-circle finder', () => {
  it('finds a circle of two and of three files, type-only imports included, and none in a tree', () => {
    const files = new Map([
      ['a.ts', "import { b } from './b.ts';"],
      ['b.ts', "import type { A } from './a.ts';"],
      ['c.ts', "import './d.ts';"],
      ['d.ts', "export * from './e.ts';"],
      ['e.ts', "import { c } from './c.ts';"],
      ['f.ts', "import { a } from './a.ts'; import 'zod';"],
    ]);
    const cycles = findImportCycles(files).map((c) => c.join(' > '));
    expect(cycles).toEqual(['a.ts > b.ts > a.ts', 'c.ts > d.ts > e.ts > c.ts']);
    files.set('b.ts', 'export const b = 1;');
    files.set('e.ts', 'export const c = 1;');
    expect(findImportCycles(files)).toEqual([]);
  });
});

describe('import boundaries of this repository', () => {
  const files = sourceFiles();

  it('reads the source tree', () => {
    expect(files.has('server/main.ts')).toBe(true);
    expect(files.has('training/retrain/cli.ts')).toBe(true);
    expect(files.size).toBeGreaterThan(200);
  });

  it('no file breaks a rule', () => {
    const violations = findViolations(files, RULES).map(
      (v) => `${v.file}:${v.line} imports ${v.specifier} (${v.rule})`,
    );
    expect(violations).toEqual([]);
  });

  it('no import circle among the modules (tests and scripts included)', () => {
    expect(findImportCycles(files).map((c) => c.join(' > '))).toEqual([]);
  });

  it('what npm start runs (server/main.ts and all it imports) lies in server/ and shared/', () => {
    const loaded = [...reachableFiles(files, 'server/main.ts')];
    expect(loaded.length).toBeGreaterThan(20);
    expect(loaded.filter((f) => !f.startsWith('server/') && !f.startsWith('shared/'))).toEqual([]);
  });
});
