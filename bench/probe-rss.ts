/**
 * Preloaded into every measured child (`node --import …/probe-rss.js …`, compiled, or through
 * NODE_OPTIONS into every node process an npm script starts, npm's own included): at exit it
 * prints one JSON line on stderr with the process's peak resident set size and the script it ran
 * (so the bench can tell npm from the build). `maxRSS` (KB) is process-wide, so build work done in
 * worker threads counts too.
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { PROBE_TAG } from './probe-tag.js';

if (isMainThread) {
  process.on('exit', (code) => {
    const line = { bench: PROBE_TAG, maxRssKb: process.resourceUsage().maxRSS, uptimeMs: Math.round(performance.now()), exitCode: code, script: process.argv[1] ?? '' };
    writeSync(2, `\n${JSON.stringify(line)}\n`);
  });
}
