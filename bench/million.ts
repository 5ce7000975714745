/**
 * `npm run bench -- --million`: the 1,000,000-article corpus (bench/corpus.ts), not part of the
 * default run. Checks the free disk first (the corpus takes about 4 GB in 4 KB blocks, the default
 * build's feeds and state about 40 GB more) and refuses with a message when it is short. Then, as
 * users run it:
 *
 * 1. one cold `npm run build:feeds` with the defaults (archives on): wall time, the build's own
 *    durationMs, peak RSS (the largest node process's, npm's left out; bench/cold-builds.ts);
 * 2. one article edited, then `npm run build:feeds` again over the same feeds and state folders:
 *    the whole command's wall time and the build's own durationMs;
 * 3. `npm start` over those folders (it serves them and builds with its cache), one more article
 *    edited: durationMs of the content watcher's build.
 *
 * Saved as bench/results/<time>-million.json and latest-million.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DISK_BYTES_PER_ARTICLE, ensureServiceBuilt, runColdBuild, type ColdRun } from './cold-builds.js';
import { corpusDir, DEFAULT_SEED, ensureCorpus } from './corpus.js';
import { freeDisk, REPO_ROOT, SETTLE_AFTER_QUIET_MS, sleep, waitUntilQuiet } from './processes.js';
import { formatTargets, gitState, machine, mb, ms, reportHeading, saveResults, table, target, type Machine, type Target } from './report.js';
import { changeBuild } from './server-life.js';
import { copyTree, isBuildFinished, isWatcherBuild, reviseArticle, serverRssKb, startService } from './service.js';

export interface MillionOptions {
  /** Articles (default 1,000,000; smaller to try the mode). */
  readonly n?: number;
  readonly seed?: number;
  readonly resultsDir?: string;
  readonly corpusRoot?: string;
  /** Where the builds write (default the system temporary folder). */
  readonly workRoot?: string;
  readonly serviceRoot?: string;
  readonly log?: (line: string) => void;
}

export interface MillionResults {
  readonly schema: 2;
  readonly kind: 'million';
  readonly startedAt: string;
  finishedAt: string;
  durationS: number;
  readonly machine: Machine;
  readonly git: { commit: string | null; dirty: boolean | null };
  readonly serviceRoot: string;
  readonly n: number;
  readonly seed: number;
  /** Why nothing was measured (not enough disk), or null. */
  refused: string | null;
  readonly disk: { dir: string; freeBytes: number; freeInodes: number; neededBytes: number; neededInodes: number };
  corpus: { dir: string; bytes: number; generated: boolean; ms: number } | null;
  compile: { ms: number; note?: string } | null;
  /** 1. The cold default build. */
  cold: ColdRun | null;
  /** 2. `npm run build:feeds` again after one edited article (same folders). */
  oneFileCommand: ColdRun | null;
  /** 3. The server over those folders: its first build, then the watcher's build after one more edit. */
  watcher: {
    firstBuildMs: number | null;
    /** The server's RSS after its first build, once quiet and SETTLE_AFTER_QUIET_MS more (as the 100k bench reads it), in KB. */
    rssKbAfterFirstBuild: number | null;
    oneFileBuildMs: number | null;
    written: number | null;
  } | null;
  targets: Target[];
  readonly notes: string[];
}

/** Disk a corpus article takes: about 1.9 KB of text in a 4 KB block, plus its directory entry. */
const CORPUS_BYTES_PER_ARTICLE = 4400;
/** Files per article: its own, and (generously) the feeds, archive pages and state a build writes. */
const INODES_PER_ARTICLE = 1.5;
/** The build's output, the corpus and the server: allowed this long before the bench gives up. */
const COLD_TIMEOUT_MS = 4 * 3600_000;
const STEP_TIMEOUT_MS = 3600_000;

export async function runMillion(options: MillionOptions = {}): Promise<MillionResults> {
  const n = options.n ?? 1_000_000;
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`--million-n must be a positive whole number, got ${options.n}`);
  const seed = options.seed ?? DEFAULT_SEED;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const serviceRoot = path.resolve(options.serviceRoot ?? REPO_ROOT);
  const corpusRoot = options.corpusRoot ?? os.tmpdir();
  const workRoot = options.workRoot ?? os.tmpdir();
  const started = Date.now();
  const corpusThere = existsSync(path.join(corpusDir(n, seed, corpusRoot), '.manifest.json'));
  const free = await freeDisk(workRoot);
  const neededBytes = (corpusThere ? 0 : n * CORPUS_BYTES_PER_ARTICLE) + n * DISK_BYTES_PER_ARTICLE;
  const neededInodes = Math.ceil(n * INODES_PER_ARTICLE);
  const results: MillionResults = {
    schema: 2,
    kind: 'million',
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationS: 0,
    machine: machine(),
    git: gitState(serviceRoot),
    serviceRoot,
    n,
    seed,
    refused: null,
    disk: { dir: workRoot, freeBytes: free.bytes, freeInodes: free.inodes, neededBytes, neededInodes },
    corpus: null,
    compile: null,
    cold: null,
    oneFileCommand: null,
    watcher: null,
    targets: [],
    notes: [],
  };
  const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GB`;
  if (free.bytes < neededBytes || free.inodes < neededInodes) {
    results.refused =
      `not enough room in ${workRoot} for N=${n}: ${gb(free.bytes)} and ${free.inodes} inodes free, about ${gb(neededBytes)} and ${neededInodes} inodes needed ` +
      `(${corpusThere ? 'the corpus is already there; ' : `the corpus ${gb(n * CORPUS_BYTES_PER_ARTICLE)}, `}the default build's feeds and state ${gb(n * DISK_BYTES_PER_ARTICLE)}). Free some space, or set TMPDIR to a larger disk.`;
    log(`million: ${results.refused}`);
    return finish(results, started, options.resultsDir);
  }

  log(`million: ${corpusThere ? 'reusing' : 'generating (this takes minutes)'} the corpus of N=${n}; ${gb(free.bytes)} free, about ${gb(neededBytes)} needed`);
  const began = Date.now();
  const corpus = await ensureCorpus(n, seed, corpusRoot);
  results.corpus = { dir: corpus.dir, bytes: corpus.manifest.bytes, generated: corpus.generated, ms: Date.now() - began };
  results.compile = await ensureServiceBuilt(serviceRoot, 10 * 60_000);

  const work = await mkdtemp(path.join(workRoot, 'feed-bench-million-'));
  try {
    // A hard-linked copy, so the edits below never touch the cached corpus.
    const content = path.join(work, 'content');
    await copyTree(corpus.dir, content, STEP_TIMEOUT_MS);
    const out = path.join(work, 'run');
    await mkdir(out);
    const settings = { maxItems: 50, baseUrl: 'http://127.0.0.1:8080', serviceRoot };

    log(`million: cold npm run build:feeds (defaults, archives on)`);
    results.cold = await runColdBuild('ours-archives', content, settings, COLD_TIMEOUT_MS, out);
    log(`million: cold build ${results.cold.ok ? `${results.cold.wallMs} ms wall, ${results.cold.buildMs} ms build, ${mb(results.cold.maxRssKb)} peak RSS` : results.cold.error}`);
    if (!results.cold.ok) throw new Error(`the cold build failed: ${results.cold.error}`);

    const [first, second] = corpus.manifest.recentPublished;
    await reviseArticle(path.join(content, first ?? corpus.manifest.newestPublished), 'million 1');
    results.oneFileCommand = await runColdBuild('ours-edited', content, settings, STEP_TIMEOUT_MS, out);
    log(`million: after one edit, npm run build:feeds ${results.oneFileCommand.wallMs} ms wall, ${results.oneFileCommand.buildMs} ms build`);

    const service = await startService({ name: 'service-million', contentDir: content, feedsDir: path.join(out, 'feeds'), stateDir: path.join(out, 'state'), maxItems: settings.maxItems, baseUrl: settings.baseUrl, serviceRoot, bootTimeoutMs: STEP_TIMEOUT_MS });
    try {
      const boot = service.server.lines.find(isBuildFinished);
      results.watcher = { firstBuildMs: typeof boot?.durationMs === 'number' ? boot.durationMs : null, rssKbAfterFirstBuild: null, oneFileBuildMs: null, written: null };
      // What the server holds over a million articles' build (its answering thread serves about
      // 350 000 archive pages from disk): read as the 100k bench reads its server's.
      if ((await waitUntilQuiet(service.server.pid, { timeoutMs: 120_000 })) === undefined) results.notes.push('million: the server did not become quiet within 120 s of its first build');
      await sleep(SETTLE_AFTER_QUIET_MS);
      results.watcher.rssKbAfterFirstBuild = (await serverRssKb(service)).rssKb;
      log(`million: the server's RSS after its first build ${mb(results.watcher.rssKbAfterFirstBuild)}`);
      const since = service.server.lines.length;
      await reviseArticle(path.join(content, second ?? corpus.manifest.newestPublished), 'million 2');
      const line = await changeBuild(service.server, since, STEP_TIMEOUT_MS);
      if (!isWatcherBuild(line)) results.notes.push(`million: a tick of the default schedule took the edit before the watcher's build (its durationMs is reported)`);
      results.watcher.oneFileBuildMs = typeof line.durationMs === 'number' ? line.durationMs : null;
      results.watcher.written = typeof line.written === 'number' ? line.written : null;
      log(`million: the watcher's build after one edit ${results.watcher.oneFileBuildMs} ms`);
    } finally {
      await service.server.stop(15_000);
    }
  } catch (error) {
    results.notes.push(`million: stopped early: ${(error as Error).message}`);
    log(`million: stopped early: ${(error as Error).message}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return finish(results, started, options.resultsDir);
}

async function finish(results: MillionResults, started: number, resultsDir = path.join(REPO_ROOT, 'bench', 'results')): Promise<MillionResults> {
  const { cold, oneFileCommand, watcher, n } = results;
  results.targets = results.refused
    ? []
    : [
        target('million-cold-rss', `cold build N=${n}, defaults: peak RSS`, cold?.ok && cold.maxRssKb !== null ? cold.maxRssKb / 1024 : null, 'MB', '<=', 4096, cold ? `${ms(cold.wallMs)} wall${cold.ok ? '' : `; ${cold.error}`}` : 'n/a'),
        target('million-one-file-build', `one file changed N=${n}: npm run build:feeds, the build itself`, oneFileCommand?.ok ? (oneFileCommand.buildMs ?? null) : null, 'ms', '<=', 500, oneFileCommand ? `the command ${ms(oneFileCommand.wallMs)} wall` : 'n/a'),
        target('million-one-file-watcher', `one file changed N=${n}: the server's watcher build`, watcher?.oneFileBuildMs ?? null, 'ms', '<=', 500, watcher ? `${watcher.written ?? 'n/a'} written` : 'n/a'),
      ];
  results.finishedAt = new Date().toISOString();
  results.durationS = Math.round((Date.now() - started) / 100) / 10;
  if (!results.refused) await saveResults(results, resultsDir, '-million');
  return results;
}

export function formatMillion(results: MillionResults): string {
  const out = reportHeading(`Feed bench, ${results.n} articles`, results);
  if (results.refused) return [...out, '', `Refused: ${results.refused}`].join('\n');
  const { cold, oneFileCommand, watcher, corpus } = results;
  const run = (label: string, figures: ColdRun | null) => [label, ms(figures?.wallMs), ms(figures?.buildMs), mb(figures?.maxRssKb), figures?.ok === false ? (figures.error ?? '') : ''];
  out.push('');
  out.push(`Corpus ${corpus?.dir ?? 'n/a'}: ${corpus ? `${(corpus.bytes / 2 ** 30).toFixed(2)} GB of text, ${corpus.generated ? `generated in ${ms(corpus.ms)}` : 'cached'}` : 'n/a'}; dist/ compiled once before: ${results.compile?.note ?? ms(results.compile?.ms)}`);
  out.push(
    table(
      ['step', 'wall', 'build', 'peak RSS', 'note'],
      [
        run('cold npm run build:feeds, defaults (archives on)', cold),
        run('one article edited, npm run build:feeds again', oneFileCommand),
        ['npm start over that build: its first build (RSS once quiet)', '', ms(watcher?.firstBuildMs), mb(watcher?.rssKbAfterFirstBuild), ''],
        ["one more article edited: the watcher's build", '', ms(watcher?.oneFileBuildMs), '', watcher?.written === null || watcher === null ? '' : `${watcher.written} written`],
      ],
    ),
  );
  out.push('', 'Targets', formatTargets(results.targets));
  if (results.notes.length) out.push('', 'Notes', ...results.notes.map((note) => `- ${note}`));
  return out.join('\n');
}
