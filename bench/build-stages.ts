/**
 * A cold build taken apart (run compiled by bench/profile.ts, with the node flags of `npm run
 * build:feeds`): the service's own buildFeeds with an empty cache, printing one JSON line per
 * stage (scan, model, entries, write, then saving the cache) with its wall time and the
 * process's memory after it (RSS, V8 heap used, and external memory such as buffers).
 * `node build-stages.js <content dir> [archives: true|false]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFeeds } from '../src/build/build-feeds.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';

const contentDir = process.argv[2] ?? '';
const archives = process.argv[3] ?? 'false';
const work = mkdtempSync(path.join(os.tmpdir(), 'feed-bench-stages-'));
try {
  const config = loadConfig({ CONTENT_DIR: contentDir, FEEDS_DIR: path.join(work, 'feeds'), STATE_DIR: path.join(work, 'state'), FEED_ARCHIVES: archives });
  let last = performance.now();
  const stage = (name: string, detail: Record<string, number> = {}) => {
    const now = performance.now();
    const memory = process.memoryUsage();
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
    process.stdout.write(`${JSON.stringify({ stage: name, ms: Math.round(now - last), rssMb: mb(memory.rss), heapUsedMb: mb(memory.heapUsed), externalMb: mb(memory.external + memory.arrayBuffers), ...detail })}\n`);
    last = performance.now();
  };
  stage('start');
  const { report } = await buildFeeds({ config, logger: silentLogger, onStage: (name) => stage(name) });
  stage('save the cache', { files: report.written.length + report.unchanged, articles: report.published });
} finally {
  rmSync(work, { recursive: true, force: true });
}
