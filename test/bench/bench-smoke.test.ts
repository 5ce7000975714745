/**
 * Keeps the bench working: its quick mode, cut down further (N = 1000, half-second loads, two
 * rebuilds and two new articles in the server phase, the three server phases side by side), run
 * programmatically into a temporary folder. It checks that the bench measures and saves every
 * figure, not what the figures are: bench/run.ts judges those. The bench bounds itself
 * (maxMinutes); with a service whose build of 1000 articles takes a second or two, the whole run
 * takes well under a minute.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatResults, keyFigures, runBench, type BenchResults } from '../../bench/run.js';

describe('npm run bench -- --quick, cut down', () => {
  let dir: string;
  let results: BenchResults;

  before(
    async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'feed-bench-smoke-'));
      results = await runBench({
        quick: true,
        sizes: [1000],
        corpusRoot: dir,
        resultsDir: path.join(dir, 'results'),
        loadSeconds: 0.5,
        warmupSeconds: 0,
        idleSeconds: 0.5,
        noChangeSamples: 1,
        oneFileSamples: 1,
        memoryRebuilds: 2,
        memoryFirstSample: 1,
        freshnessSamples: 2,
        parallelServerPhases: true,
        maxMinutes: 2.5,
        log: () => {},
      });
    },
    { timeout: 200_000 },
  );

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('measures every figure as a finite positive number (a count as a whole number)', () => {
    const figures = keyFigures(results);
    const counts = new Set(results.targets.filter((target) => target.unit === 'count').map((target) => `target.${target.id}`));
    const isCount = (name: string) => name.endsWith('Count') || counts.has(name);
    const bad = Object.entries(figures).filter(([name, value]) => value === null || !Number.isFinite(value) || (isCount(name) ? !Number.isInteger(value) || value < 0 : value <= 0));
    const notes = [...results.notes, ...(results.server?.notes ?? []), ...(results.rebuilds?.notes ?? []), ...(results.serving?.notes ?? []), ...(results.memory?.notes ?? [])];
    assert.deepEqual(bad, [], `figures missing or not positive; notes: ${notes.join(' | ')}`);
    // Every cold-build variant, every serving scenario and target, and all seventeen targets are there.
    assert.deepEqual(
      results.coldBuilds.map((row) => row.variant),
      ['baseline', 'ours-archives', 'ours-cached', 'ours-edited', 'ours'],
    );
    assert.equal(Object.keys(figures).filter((name) => name.startsWith('serving.') && name.endsWith('.requestsPerSecond')).length, 9);
    // Each serving figure comes with the CPU its server spent a response (positive: checked above).
    assert.equal(Object.keys(figures).filter((name) => name.startsWith('serving.') && name.endsWith('.cpuMicrosPerResponse')).length, 9);
    assert.equal(results.targets.length, 17);
    assert.equal(results.schema, 2);
    // npm's own probe line was told apart from the build's.
    for (const row of results.coldBuilds.filter((candidate) => candidate.variant !== 'baseline')) {
      for (const run of row.runs) assert.ok(typeof run.npmMaxRssKb === 'number' && run.maxRssKb !== null && run.maxRssKb > 0, JSON.stringify(run));
    }
  });

  it('times new articles and restarts as the server phase says', () => {
    assert.equal(results.server?.freshness.samplesMs.length, 2);
    assert.equal(results.memory?.rebuildsDone, 2);
    const restart = results.server!.restart;
    assert.ok(restart.firstOkMs !== null && restart.listeningMs !== null && restart.firstOkMs >= restart.listeningMs, JSON.stringify(restart));
  });

  it('writes the results as JSON, named by the start time and as latest.json, to the folder given', async () => {
    const files = (await readdir(path.join(dir, 'results'))).sort();
    assert.deepEqual(files, [`${results.startedAt.replace(/:/g, '-')}.json`, 'latest.json'].sort());
    const latest = JSON.parse(await readFile(path.join(dir, 'results', 'latest.json'), 'utf8')) as BenchResults;
    assert.deepEqual(keyFigures(latest), keyFigures(results));
  });

  it('prints a PASS or MISS line for every target', () => {
    const table = formatResults(results);
    for (const target of results.targets) assert.match(table, new RegExp(`${target.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(PASS|MISS)`));
  });
});
