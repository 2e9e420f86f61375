/**
 * `npm start`: loads the configuration, the served model and the leaderboard
 * database, then serves HTTP(S) + Socket.IO until SIGINT/SIGTERM, when it finishes
 * the current round results, stores finished games and closes the database.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { availableParallelism } from 'node:os';
import { createApplication } from './app.ts';
import { startClusterMode } from './cluster/cluster-mode.ts';
import { ConfigError, loadConfig, type ServerConfig } from './config.ts';
import { prepareDataDir } from './data-dir.ts';
import { loadDonationConfig } from './donations/donation-config.ts';
import { Donations } from './donations/donations.ts';
import { modelVersion } from './donations/model-version.ts';
import { createSystemClock } from './game/clock.ts';
import { acceptFromPrimary, underLocalCluster } from './local-cluster-worker.ts';
import { createLogger, type Logger } from './logging.ts';
import { createMetrics } from './metrics.ts';
import { createEmotionEngine } from './ml/engine/create-engine.ts';
import { watchModelFolder } from './ml/engine/model-folder-watcher.ts';
import { type LoadedEngine, ModelHost, verifyingLoader } from './ml/engine/model-host.ts';
import { openLeaderboardStore } from './store/create-store.ts';
import { openDonationStore } from './store/donation-create-store.ts';
import type { DonationStore } from './store/donation-types.ts';
import { type SpooledStore, withSpool } from './store/spooled-store.ts';

function createHttp(config: ServerConfig, log: Logger): HttpServer {
  if (!config.tls) return createHttpServer();
  try {
    return createHttpsServer({ cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) });
  } catch (err) {
    throw new Error(
      `cannot read TLS_CERT/TLS_KEY (${(err as Error).message}); run \`npm run cert\` for a LAN certificate`,
    );
  } finally {
    log.debug({ tls: config.tls }, 'tls configured');
  }
}

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig();
    // Before the model loads: a bad DATA_DIR should not cost a model load to find out.
    prepareDataDir(config.dataDir, process.env.DATA_DIR || 'data');
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee docs/configuration.md.\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  let donationConfig: ReturnType<typeof loadDonationConfig>;
  try {
    donationConfig = loadDonationConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee docs/configuration.md.\n`);
      process.exit(2);
    }
    throw err;
  }
  const metrics = createMetrics();

  // Every load and reload first checks the folder's files against its SHA256SUMS.
  const loadEngine = verifyingLoader(
    async (modelDir: string): Promise<LoadedEngine> =>
      createEmotionEngine({
        modelDir,
        engine: config.inferenceEngine,
        workers: config.inferenceWorkers,
        maxBatch: config.inferenceMaxBatch,
        log: log.child({ module: 'engine' }),
      }),
    log.child({ module: 'model' }),
  );

  let initial: LoadedEngine;
  try {
    initial = await loadEngine(config.modelDir);
  } catch (err) {
    log.fatal(
      { modelDir: config.modelDir, err: (err as Error).message },
      'cannot load the emotion model; set MODEL_DIR to a model folder (model.json + weights.bin), e.g. models/emotion, or fetch one with npm run models:fetch',
    );
    process.exit(1);
  }
  const model = new ModelHost(initial, loadEngine, log.child({ module: 'model' }));
  log.info(
    { dir: model.modelInfo.dir, architecture: model.modelInfo.architecture, engine: model.name },
    'model loaded',
  );

  // A damaged leaderboard file stops the server here, naming the file; a store that fails later
  // spools finished games in DATA_DIR and reports itself degraded (server/store/spooled-store.ts).
  let store: SpooledStore;
  try {
    const inner = await openLeaderboardStore({
      kind: config.leaderboardStore,
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
    });
    store = withSpool(inner, config.dataDir, log.child({ module: 'store' }));
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot open the leaderboard store');
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  // REDIS_URL: one node of a cluster (docs/deployment.md); otherwise nothing of this runs.
  const cluster = await startClusterMode(config, store, log, metrics);
  // Donated crops live in the leaderboard's store (own table); see docs/privacy.md.
  let donationStore: DonationStore;
  try {
    donationStore = await openDonationStore({
      kind: config.leaderboardStore === 'memory' ? 'memory' : 'sqlite',
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
    });
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot open the donation store');
    process.exit(1);
  }
  const donations = new Donations({
    store: donationStore,
    clock: createSystemClock(),
    log: log.child({ module: 'donations' }),
    modelVersion: () => modelVersion(model.modelInfo),
    retention: donationConfig.retention,
  });
  const httpServer = createHttp(config, log);
  const application = createApplication(httpServer, {
    engine: model,
    store,
    donations,
    log,
    metrics,
    modelInfo: () => model.modelInfo,
    reloadModel: () => model.reload(),
    adminToken: config.adminToken,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    roomsPerIpPerMinute: config.roomsPerIpPerMinute,
    trustProxy: config.trustProxy,
    allowedOrigins: config.allowedOrigins,
    maxRooms: config.maxRooms,
    roomLookupsPerIpPerMinute: config.roomLookupsPerIpPerMinute,
    failedJoinsPerIpPerMinute: config.failedJoinsPerIpPerMinute,
    // One micro-batch in flight per inference worker; the engine batches across players within each.
    inference: {
      maxBatch: config.inferenceMaxBatch,
      maxInFlight: config.inferenceWorkers ?? availableParallelism(),
      gatherMs: config.inferenceGatherMs,
    },
    ...(cluster ? { cluster } : {}),
  });
  const servedDir = model.modelInfo.dir;
  const modelWatch = config.modelWatch
    ? watchModelFolder(
        servedDir,
        async () => {
          const r = await model.reload(servedDir);
          metrics.modelReloads.inc({ result: r.ok ? 'ok' : 'refused' });
        },
        log.child({ module: 'model' }),
      )
    : null;

  if (underLocalCluster()) {
    // One of start:multi's processes (server/local-cluster.ts): the primary owns the port.
    acceptFromPrimary(application.io);
  } else {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
  }
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info(
    {
      url: `${config.tls ? 'https' : 'http'}://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`,
      store: store.kind,
      ...(cluster ? { node: cluster.nodeId } : {}),
    },
    'emotion arena listening',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: finishing running rounds');
    const drainMs = cluster ? config.drainTimeoutMs : 0;
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + drainMs);
    force.unref();
    try {
      if (cluster && signal === 'SIGTERM') {
        log.info({ timeoutMs: config.drainTimeoutMs }, 'draining: no new rooms or games; running games finish');
        log.info(await cluster.drain(config.drainTimeoutMs), 'drained');
      }
      await application.shutdown();
      await cluster?.close();
      modelWatch?.stop();
      await model.dispose();
      await donations.close();
      await donationStore.close();
      await store.close();
      log.info('shutdown complete');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
