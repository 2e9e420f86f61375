import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config.ts';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({}, '/srv/arena');
    expect(c).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      modelDir: '/srv/arena/models/emotion',
      dataDir: '/srv/arena/data',
      leaderboardStore: 'sqlite',
      tls: null,
      adminToken: null,
      modelWatch: true,
    });
  });

  it('reads and coerces environment variables; empty strings count as unset', () => {
    const c = loadConfig(
      {
        PORT: '8443',
        HOST: '',
        INFERENCE_ENGINE: 'onnx',
        INFERENCE_WORKERS: '2',
        TLS_CERT: 'certs/cert.pem',
        TLS_KEY: 'certs/key.pem',
        MODEL_WATCH: 'false',
      },
      '/srv',
    );
    expect(c.port).toBe(8443);
    expect(c.host).toBe('0.0.0.0');
    expect(c.inferenceEngine).toBe('onnx');
    expect(c.inferenceWorkers).toBe(2);
    expect(c.tls).toEqual({ certFile: '/srv/certs/cert.pem', keyFile: '/srv/certs/key.pem' });
    expect(c.modelWatch).toBe(false);
  });

  it('explains every problem at once', () => {
    try {
      loadConfig({ PORT: 'abc', INFERENCE_ENGINE: 'cuda', ADMIN_TOKEN: 'short' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain('PORT');
      expect(msg).toContain('INFERENCE_ENGINE');
      expect(msg).toContain('ADMIN_TOKEN must be at least 16 characters');
    }
    expect(() => loadConfig({ TLS_CERT: 'a.pem' })).toThrow(/TLS_CERT and TLS_KEY must be set together/);
  });
});
