/**
 * `npm run loadtest` against several servers (cluster nodes): the bots spread over them and
 * most play in a room that runs on another node.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../training/data/dataset.ts';
import { FIXTURE_CSV } from '../../helpers/model-fixture.ts';
import { dropTestSchema, newTestSchema } from '../../helpers/pg.ts';
import { sharedTestEngine } from '../../helpers/server-harness.ts';
import { type InProcessNode, newTestPrefix, startInProcessNode } from './cluster-support.ts';

const run = promisify(execFile);
const engine = sharedTestEngine('loadtest-cluster.test');
const schema = newTestSchema('loadtest');
const prefix = newTestPrefix('loadtest');
const nodes: InProcessNode[] = [];
const loadtest = ['--import', 'tsx', join(PROJECT_ROOT, 'bench/loadtest.ts')];

beforeAll(async () => {
  for (const id of ['node-a', 'node-b'])
    nodes.push(await startInProcessNode({ engine: engine(), prefix, schema, nodeId: id }));
});
afterAll(async () => {
  for (const n of nodes) await n.close();
  await dropTestSchema(schema);
});

const forwarded = async (node: InProcessNode, direction: 'in' | 'out') => {
  const m = new RegExp(`^emotion_arena_cluster_forwarded_events\\{direction="${direction}"\\} (\\d+)$`, 'm').exec(
    await (await fetch(`${node.url}/metrics`)).text(),
  );
  return Number(m?.[1] ?? 0);
};

describe('loadtest --url with several nodes', () => {
  it('spreads the bots over the nodes, with players in rooms of the other node', { timeout: 120_000 }, async () => {
    const urls = nodes.map((n) => n.url).join(',');
    const r = await run(
      process.execPath,
      [...loadtest, '--players', '4', '--rooms', '2', '--duration', '4', '--bot-workers', '1', '--url', urls, '--json'],
      { cwd: PROJECT_ROOT, env: { ...process.env, FER2013_CSV: FIXTURE_CSV }, timeout: 110_000 },
    );
    const lines = r.stdout.trim().split('\n');
    const j = JSON.parse(lines[lines.length - 1] as string);
    expect(j.urls).toEqual(nodes.map((n) => `${n.url}/`));
    expect(j.framesScored).toBeGreaterThan(0);
    expect(j.disconnects).toBe(0);
    // Each room has a player on each node: both nodes forwarded events and ran forwarded ones.
    for (const n of nodes) {
      expect(await forwarded(n, 'out')).toBeGreaterThan(0);
      expect(await forwarded(n, 'in')).toBeGreaterThan(0);
    }
  });

  it('refuses a list with a bad URL, naming the rule', async () => {
    const err = await run(
      process.execPath,
      [...loadtest, '--players', '2', '--rooms', '1', '--url', `${nodes[0]?.url},localhost:3000`],
      { cwd: PROJECT_ROOT },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).not.toBe(0);
    expect((err as { stderr: string }).stderr).toMatch(/must be an http\(s\) URL/);
  });
});
