/** Cluster-mode variables: what a wrong setting tells the operator, and that nothing changes without them. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config.ts';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env, '/tmp');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe('cluster configuration', () => {
  it('is off by default: no Redis, no PostgreSQL', () => {
    const c = loadConfig({}, '/tmp');
    expect(c.cluster).toBeNull();
    expect(c.databaseUrl).toBeNull();
  });

  it('reads REDIS_URL, DATABASE_URL, NODE_ID and DRAIN_TIMEOUT_MS', () => {
    const c = loadConfig(
      {
        REDIS_URL: 'redis://redis:6379',
        DATABASE_URL: 'postgres://arena:pw@db:5432/arena',
        NODE_ID: 'node-1',
        DRAIN_TIMEOUT_MS: '30000',
      },
      '/tmp',
    );
    expect(c.cluster).toEqual({ redisUrl: 'redis://redis:6379', nodeId: 'node-1' });
    expect(c.databaseUrl).toBe('postgres://arena:pw@db:5432/arena');
    expect(c.drainTimeoutMs).toBe(30_000);
  });

  it('refuses REDIS_URL without DATABASE_URL, saying why', () => {
    expect(problems({ REDIS_URL: 'redis://redis:6379' })).toEqual([
      expect.stringMatching(/^DATABASE_URL: REDIS_URL \(cluster mode\) needs DATABASE_URL too/),
    ]);
  });

  it('names a malformed URL or node id', () => {
    const p = problems({ REDIS_URL: 'localhost:6379', DATABASE_URL: 'mysql://x', NODE_ID: 'has space' });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^REDIS_URL: REDIS_URL must look like redis:\/\/host:6379.*\(got "localhost:6379"\)/),
        expect.stringMatching(/^DATABASE_URL: DATABASE_URL must look like postgres:\/\/.*\(got "mysql:\/\/x"\)/),
        expect.stringMatching(/^NODE_ID: /),
      ]),
    );
  });
});
