import diagnosticsChannel from 'node:diagnostics_channel';
import type { Server, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry, type GaugeConfiguration } from 'prom-client';
import type { FeedStore, LastBuild } from './feed-store.js';

/**
 * What `GET /metrics` serves, in Prometheus's text format (prom-client): the builds and what the
 * last one published, the responses by status, whether the content watcher hears changes, and
 * Node.js's process metrics (CPU, memory, event-loop delay, garbage collection). Every figure is
 * read when it is scraped, from the FeedStore (what /healthz reports) and from counts kept here;
 * nothing is taken per article, so no title, file name, topic, draft or `secured` value can be in
 * a label or a value. Runs on the thread that answers requests.
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Counts every response `server` sends, by status, once it has been sent, while it listens (again if it listens again after a close). */
  countResponsesOf(server: Server): void;
}

export interface ServiceMetricsOptions {
  readonly store: FeedStore;
  /** Whether the content watcher hears of changes now; undefined: the watcher is off. */
  readonly watchingContent?: () => boolean;
  /** Node.js's process metrics as well (once per process: each call starts its own monitors). */
  readonly processMetrics?: boolean;
}

const PREFIX = 'feed_service_';

/**
 * A gauge read when scraped, and left out of the scrape while its figure is not known (no build
 * yet, or only the one a previous process left): prom-client would show an unset gauge as 0, and
 * "0 articles published" after a restart reads as an outage.
 */
class KnownGauge extends Gauge {
  readonly #value: () => number | undefined;

  constructor(configuration: GaugeConfiguration<string>, value: () => number | undefined) {
    super(configuration);
    this.#value = value;
  }

  override async get(): ReturnType<Gauge['get']> {
    const current = this.#value();
    if (current === undefined) return { ...(await super.get()), values: [] };
    this.set(current);
    return super.get();
  }
}

export function createServiceMetrics({ store, watchingContent, processMetrics = false }: ServiceMetricsOptions): ServiceMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  // Responses by status code: a plain array on the request path (a labelled counter hashes its
  // labels on every call), copied into the counter when scraped.
  const responses = new Array<number>(600).fill(0);

  new Counter({
    name: `${PREFIX}http_responses_total`,
    help: 'HTTP responses sent, by status code (304: a reader revalidated and got no body).',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      responses.forEach((count, code) => {
        if (count > 0) this.inc({ code: String(code) }, count);
      });
    },
  });
  new Counter({
    name: `${PREFIX}builds_total`,
    help: 'Builds this process finished, by outcome (failed: nothing was published; the last good feeds stay served).',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const { succeeded, failed } = store.buildCounts();
      this.reset();
      this.inc({ outcome: 'succeeded' }, succeeded);
      this.inc({ outcome: 'failed' }, failed);
    },
  });
  const gauge = (name: string, help: string, value: () => number | undefined) => new KnownGauge({ name: `${PREFIX}${name}`, help, registers: [registry] }, value);
  gauge('serving', '1 when there is a build to serve (the last good one), 0 before the first (every feed answers 503).', () => (store.snapshot ? 1 : 0));
  gauge('last_build_failed', '1 when the most recent build failed or was held back (the feeds served are older than the content).', () => (store.buildCounts().lastFailed ? 1 : 0));
  gauge('served_build_timestamp_seconds', 'When the build served was finished (or, after a restart, written by the process before), Unix time.', () => {
    const builtAt = store.snapshot?.builtAt;
    return builtAt && builtAt.getTime() / 1000;
  });
  gauge('served_files', 'Files served: feeds in each format, archive pages, the HTML pages and the index.', () => store.snapshot?.files.size);
  // Read without /healthz's whole answer (which also reads the process's memory, once a gauge).
  const report = <T>(pick: (lastBuild: LastBuild) => T) => {
    const lastBuild = store.lastBuild();
    return lastBuild && pick(lastBuild);
  };
  gauge('last_build_duration_seconds', "The duration of this process's last successful build.", () => report((build) => build.durationMs / 1000));
  gauge('articles_published', 'Articles published by the last successful build.', () => report((build) => build.articles));
  gauge('articles_scheduled', 'Articles held back until their publishedDateTime (published when it comes).', () => report((build) => build.scheduled));
  gauge('feeds', 'Feeds published by the last successful build (all topics, each topic, provider and category).', () => report((build) => build.feeds));
  gauge('content_problems', 'Problems the last successful build reported (invalid or skipped files, slug collisions): see the log.', () => report((build) => build.problems));
  if (watchingContent) gauge('content_watcher_up', '1 while the content watcher hears changes; 0: a new article waits for the scheduled build.', () => (watchingContent() ? 1 : 0));

  return {
    registry,
    countResponsesOf(server) {
      // Node.js publishes each finished response on this channel (only while it has subscribers).
      // A 'finish' listener per response made that event's listeners an array, copied on every
      // emit: garbage collection was 23.8 % of the thread's busy time under 304s with it, 20.2 %
      // with the channel (CPU profiles of two servers at 100k articles, the same load).
      const countFinished = (message: unknown) => {
        const { response, server: sentBy } = message as ResponseFinished;
        if (sentBy !== server) return;
        const code = response.statusCode;
        if (code >= 100 && code < 600) responses[code]!++;
      };
      // Subscribed while the server listens, so that a closed server is not held by the channel
      // for ever ('close' comes once its last connection has ended, after its last response).
      let subscribed = false;
      const subscribe = () => {
        if (!subscribed) diagnosticsChannel.subscribe(RESPONSE_FINISHED, countFinished);
        subscribed = true;
      };
      if (server.listening) subscribe();
      server.on('listening', subscribe);
      server.on('close', () => {
        if (subscribed) diagnosticsChannel.unsubscribe(RESPONSE_FINISHED, countFinished);
        subscribed = false;
      });
    },
  };
}

/** Node.js's channel for each response an HTTP server has finished sending (node:diagnostics_channel's built-in HTTP channels). */
const RESPONSE_FINISHED = 'http.server.response.finish';

/** What Node.js publishes on RESPONSE_FINISHED (besides the request and the socket). */
interface ResponseFinished {
  readonly response: ServerResponse;
  readonly server: Server;
}
