import { FEED_FORMATS } from '../render/feed-formats.js';
import type { Logger } from '../logger.js';
import { mapConcurrently } from './map-concurrently.js';

export interface HubNotifierOptions {
  readonly hubUrl: string;
  /** Public base URL of the feeds (no trailing slash). */
  readonly baseUrl: string;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  /** Notifications in flight at once. */
  readonly concurrency?: number;
}

const FEED_EXTENSIONS = new Set(Object.values(FEED_FORMATS).map((format) => `.${format.extension}`));

/**
 * The subscribable feeds among the files a build wrote: RSS, Atom and JSON Feed, not archive
 * pages (fetched once, never subscribed to), the HTML view or the indexes.
 */
export function changedFeedUrls(written: readonly string[], baseUrl: string): string[] {
  return written
    .filter((name) => FEED_EXTENSIONS.has(name.slice(name.lastIndexOf('.'))) && !name.startsWith('archive/'))
    .map((name) => `${baseUrl}/feeds/${name.split('/').map(encodeURIComponent).join('/')}`);
}

/**
 * WebSub publisher notifications: one `hub.mode=publish` POST per changed feed (form-encoded, as
 * hubs such as Google's and Superfeedr expect), a few at a time. Failures are logged, never
 * thrown: a hub being down must not fail a build, and subscribers still poll.
 */
export function createHubNotifier({ hubUrl, baseUrl, logger, fetch: send = fetch, timeoutMs = 10_000, concurrency = 4 }: HubNotifierOptions) {
  const notify = async (url: string): Promise<void> => {
    try {
      const response = await send(hubUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': url }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) logger.warn('WebSub hub refused a publish notification', { hub: hubUrl, url, status: response.status });
    } catch (error) {
      logger.warn('WebSub hub could not be notified', { hub: hubUrl, url, error });
    }
  };
  return async (written: readonly string[]): Promise<void> => {
    const urls = changedFeedUrls(written, baseUrl);
    // A few at a time: bounded by the timeout, without flooding the hub (notify never throws).
    await mapConcurrently(urls, concurrency, notify);
    if (urls.length) logger.info('WebSub hub notified', { hub: hubUrl, feeds: urls.length });
  };
}
