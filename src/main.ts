import { createServer } from 'node:http';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { FeedStore } from './http/feed-store.js';
import { createApp } from './http/app.js';
import { gracefulCloser } from './http/graceful-close.js';
import { createLogger } from './logger.js';
import { createHubNotifier } from './build/websub.js';
import { buildAndPublish, scheduleBuilds } from './build/schedule.js';
import { BuildWorker } from './build/thread-host.js';

/** `npm start`: build once, serve, rebuild on the schedule; stop cleanly on SIGTERM/SIGINT. */
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
  const store = new FeedStore({ feedsDir: config.feedsDir });
  // Builds run in a worker thread that keeps its caches: requests are never held up by a build.
  const worker = new BuildWorker(config, logger);
  const build = () => worker.build();
  const onChanged = config.site.hubUrl ? createHubNotifier({ hubUrl: config.site.hubUrl, baseUrl: config.site.baseUrl, logger }) : undefined;

  // The boot build notifies the hub only once the server listens, so the hub can fetch the feeds.
  const boot = await buildAndPublish({ build, store, logger }, { scheduled: false });
  const task = scheduleBuilds({ cron: config.buildCron, build, store, logger, onChanged });
  const app = createApp({
    store,
    logger,
    cacheMaxAgeSeconds: config.cacheMaxAgeSeconds,
    archiveCacheMaxAgeSeconds: config.archiveCacheMaxAgeSeconds,
  });

  const server = createServer(app);
  const closer = gracefulCloser(server);
  server.listen({ port: config.port, host: config.host }, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info('serving feeds', { url: `${config.site.baseUrl}/feeds/`, port, schedule: config.buildCron });
    if (onChanged && boot?.report.written.length) void onChanged(boot.report.written);
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
    void task.stop();
    void worker.close();
    // In-flight responses are sent in full; idle keep-alive connections are ended.
    void closer.close().then(() => process.exit(0));
    setTimeout(() => {
      logger.warn('forced exit: connections still open after 10 s');
      process.exit(1);
    }, 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
