import path from 'node:path';
import { loadConfig } from './config.js';
import { UNKNOWN_CHANGES, watchContent } from './content/watch-content.js';
import { ConfigError } from './errors.js';
import { FeedStore } from './http/feed-store.js';
import { createApp } from './http/app.js';
import { createHttpServer } from './http/create-server.js';
import { createServiceMetrics } from './http/service-metrics.js';
import { gracefulCloser } from './http/graceful-close.js';
import { createLogger } from './logger.js';
import { createHubNotifier } from './build/websub.js';
import { BuildTrigger, SCHEDULED_BUILD } from './build/schedule.js';
import { BuildThreadHost } from './build/thread-host.js';
import { lockBuildFolders } from './build/folder-locks.js';

/** A burst of changes builds at the latest this long after its first change. */
const WATCH_MAX_WAIT_MS = 1000;
/**
 * How long a stop waits for the build thread to stop its build and save its cache (about a second
 * at 100k articles) before ending it: within the 10 s after which the process exits regardless.
 */
const BUILD_THREAD_CLOSE_MS = 8000;

/**
 * `npm start`: serve the last build in the feeds folder at once, build in the background (and
 * again on every change the content watcher sees, and on the schedule); stop cleanly on
 * SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  try {
    // Held until the process exits: no other process builds into these folders meanwhile. A full
    // or read-only disk: the last build is still served (and each build fails, naming the fault
    // in /healthz), without that folder's lock.
    lockBuildFolders(config, 'a server', (error, setting) => logger.warn(`serving without the ${setting} lock`, { error }));
  } catch (error) {
    logger.error('not started', { error });
    process.exit(1);
  }
  const store = new FeedStore({ feedsDir: config.feedsDir });
  // The last complete build a previous process left: served as soon as the server listens.
  const loaded = store.loadFromDisk();
  const known = [...loaded].map(([name, hash]) => ({ name, hash }));
  // Builds run in a thread that keeps its caches: requests are never held up by a build.
  const host = new BuildThreadHost(config, logger, { known });
  const onChanged = config.site.hubUrl ? createHubNotifier({ hubUrl: config.site.hubUrl, baseUrl: config.site.baseUrl, logger }) : undefined;
  let trigger: BuildTrigger<Awaited<ReturnType<BuildThreadHost['build']>>> | undefined;
  const watcher = config.watchContent ? watchContent(config.contentDir, logger, { onChange: () => trigger?.contentChanged() }) : undefined;
  trigger = new BuildTrigger({
    cron: config.buildCron,
    build: async (reason) => {
      const changes = (await watcher?.takeChanges()) ?? UNKNOWN_CHANGES;
      // The schedule is the safety net: its builds scan everything and look at the feeds folder
      // (a file deleted under the server is written again), whatever the watcher saw.
      return host.build(reason === SCHEDULED_BUILD ? UNKNOWN_CHANGES : changes);
    },
    store,
    logger,
    onChanged,
    quietMs: config.watchQuietMs,
    maxWaitMs: WATCH_MAX_WAIT_MS,
  });
  const watchingContent = watcher && (() => watcher.watching());
  const metrics = config.metrics ? createServiceMetrics({ store, watchingContent, processMetrics: true }) : undefined;
  const app = createApp({
    store,
    logger,
    cacheMaxAgeSeconds: config.cacheMaxAgeSeconds,
    archiveCacheMaxAgeSeconds: config.archiveCacheMaxAgeSeconds,
    fullResponseLimit: config.http.fullResponseLimit,
    trustProxy: config.http.trustProxy,
    watchingContent,
    metrics,
    metricsToken: config.metricsToken,
  });

  const server = createHttpServer(app, config.http, metrics);
  const closer = gracefulCloser(server);
  server.listen({ port: config.port, host: config.host }, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info('serving feeds', {
      url: `${config.site.baseUrl}/feeds/`,
      port,
      schedule: config.buildCron,
      watchContent: config.watchContent,
      contentDir: path.resolve(config.contentDir),
      feedsDir: path.resolve(config.feedsDir),
      stateDir: path.resolve(config.stateDir),
      servingPreviousBuild: store.snapshot ? { files: store.snapshot.files.size } : false,
    });
    // The first build runs once the server listens, so the hub can fetch what it is told of.
    void trigger.run('start');
    trigger.start();
  });
  server.on('error', (error) => {
    logger.error('server failed', { error });
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    watcher?.close();
    // In-flight responses are sent in full; idle keep-alive connections are ended.
    const closed = closer.close();
    // The build thread at once: a build under way stops before it puts a file in place and what it
    // had read is saved (build-stopped.ts); the thread is ended after BUILD_THREAD_CLOSE_MS regardless.
    void Promise.all([trigger.stop(), host.close(BUILD_THREAD_CLOSE_MS)])
      .then(() => closed)
      .then(() => process.exit(0));
    setTimeout(() => {
      logger.warn('forced exit: connections still open after 10 s');
      process.exit(1);
    }, 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
