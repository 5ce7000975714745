import { cp } from 'node:fs/promises';
import path from 'node:path';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from './config.js';
import { makeTempDir } from './temp-dir.js';

const CONTENT = path.resolve(import.meta.dirname, '../../content');

/**
 * The bundled content copied to a temporary folder, built once into another with these settings,
 * and published to a fresh FeedStore, as a server would serve it.
 */
export async function bundledStore(prefix: string, env: Record<string, string> = {}): Promise<{ contentDir: string; feedsDir: string; store: FeedStore }> {
  const contentDir = path.join(await makeTempDir(`${prefix}-content-`), 'content');
  const feedsDir = path.join(await makeTempDir(`${prefix}-feeds-`), 'feeds');
  await cp(CONTENT, contentDir, { recursive: true });
  const store = new FeedStore();
  store.publish(await buildFeeds({ config: testConfig(contentDir, feedsDir, env), logger: silentLogger }), new Date());
  return { contentDir, feedsDir, store };
}
