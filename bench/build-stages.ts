/**
 * A cold build taken apart (run compiled by bench/profile.ts, with the node flags of `npm run
 * build:feeds`): the same functions build.ts calls for a build without a cache, one stage at a
 * time, printing one JSON line per stage with its wall time and the process's memory after it
 * (RSS, V8 heap used, and external memory such as buffers). `node build-stages.js <content dir>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { buildFeedFiles } from '../src/build/build-feed-files.js';
import { createRenderCache } from '../src/build/render-cache.js';
import { writeEntryState } from '../src/build/entry-state.js';
import { readAndParseAll } from '../src/build/parse-threads.js';
import { listContent } from '../src/content/read-content.js';
import { writeFeedFiles } from '../src/build/write-feeds.js';

const contentDir = process.argv[2] ?? '';
const work = mkdtempSync(path.join(os.tmpdir(), 'feed-bench-stages-'));
try {
  const config = loadConfig({ CONTENT_DIR: contentDir, FEEDS_DIR: path.join(work, 'feeds'), STATE_DIR: path.join(work, 'state'), FEED_ARCHIVES: 'false' });
  let last = performance.now();
  const stage = (name: string, detail: Record<string, number> = {}) => {
    const now = performance.now();
    const memory = process.memoryUsage();
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
    process.stdout.write(`${JSON.stringify({ stage: name, ms: Math.round(now - last), rssMb: mb(memory.rss), heapUsedMb: mb(memory.heapUsed), externalMb: mb(memory.external + memory.arrayBuffers), ...detail })}\n`);
    last = performance.now();
  };
  stage('start');
  const { root, candidates } = listContent(contentDir);
  stage('list', { files: candidates.length });
  const results = await readAndParseAll(root, candidates, config.maxFileBytes);
  const sources = results.flatMap((result) => (result && !('issues' in result) ? [{ file: result.file, parsed: result.parsed }] : []));
  stage('read and parse (all threads)', { articles: sources.length });
  const build = buildFeedFiles(sources, config.site, new Date(), { deletedEntryDays: config.deletedEntryDays, renderCache: createRenderCache() });
  stage('select, group, render', { files: build.files.length, megabytes: Math.round(build.files.reduce((sum, file) => sum + file.body.length, 0) / 1024 / 1024) });
  await writeFeedFiles(config.feedsDir, build.files);
  await writeEntryState(config.stateDir, build.state);
  stage('write feeds and state');
} finally {
  rmSync(work, { recursive: true, force: true });
}
