/**
 * `npm run bench`: the targets of issue 9 (and the serving targets of issue 5), printed as a table
 * with PASS/MISS per target and saved as JSON to bench/results/<ISO timestamp>.json and
 * bench/results/latest.json. Every figure is a ratio to the bench's straightforward baseline (or
 * a time limit) measured in the same run, with the service's configuration as shipped and its
 * commands as users run them (`npm run build:feeds`, `npm start`).
 *
 *   npm run bench                                # full: N = 10k, 50k, 100k
 *   npm run bench -- --quick                     # N = 1000, short loads, 10 rebuilds (a few minutes)
 *   npm run bench -- --sizes 10000,50000         # other sizes; the server parts use the largest
 *   npm run bench -- --million                   # only the 1,000,000-article build (bench/million.ts)
 *
 * Phases, each in child processes, each bounded by a share of `--max-minutes`:
 *   1. cold `npm run build:feeds`, beside the baseline, alternately (bench/cold-builds.ts);
 *   2. the server as users run it: first build, freshness, rebuilds by the content watcher,
 *      restart (bench/server-life.ts);
 *   3. scheduled rebuilds and the p99 during a cold rebuild in the running server;
 *   4. serving against the Express and node:http floors, and the idle p99 (bench/server-phases.ts).
 * The corpus is generated once per N and seed into the temporary folder and reused (bench/corpus.ts).
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureServiceBuilt, measureColdBuilds, VARIANT_LABELS, type BuildVariant, type ColdBuildRow } from './cold-builds.js';
import { DEFAULT_SEED, ensureCorpus, type CorpusManifest } from './corpus.js';
import { formatMillion, runMillion, type MillionOptions } from './million.js';
import { REPO_ROOT } from './processes.js';
import { fixed, formatTargets, gitState, machine, mb, ms, msList, num, ratio, reportHeading, roundRatios, saveResults, shorten, table, target, type Machine, type Target } from './report.js';

export type { Target } from './report.js';
import { measureServerLife, type MemoryFigures, type ServerLifeFigures } from './server-life.js';
import { copyTree } from './service.js';
import { measureRebuilds, measureServing, SCENARIOS, TARGETS, type Budget, type RebuildFigures, type ServingFigures } from './server-phases.js';

export interface BenchOptions {
  /** N = 1000, 2 s loads, 10 rebuilds, a shorter budget. */
  readonly quick?: boolean;
  /** Corpus sizes for the cold builds; the server phases use the largest. */
  readonly sizes?: readonly number[];
  readonly seed?: number;
  /** Where the JSON goes (default bench/results). */
  readonly resultsDir?: string;
  /** Where corpora are cached (default the system temporary folder). */
  readonly corpusRoot?: string;
  /**
   * The checkout whose service is measured (default: this repository), e.g. an exported older
   * commit with node_modules linked in: its `npm run build:feeds` and `npm start` are run. The
   * baseline and the floors always come from this bench/.
   */
  readonly serviceRoot?: string;
  /** Rounds per size of the cold builds (baseline, ours with defaults, again with its cache, ours without archives). */
  readonly runs?: number;
  /** Seconds of load per scenario and target, split into `servingRounds` interleaved rounds. */
  readonly loadSeconds?: number;
  readonly servingRounds?: number;
  readonly warmupSeconds?: number;
  readonly idleSeconds?: number;
  readonly connections?: number;
  /** Low load for the p99 figures (idle and during the cold rebuild): connections, req/s in all. */
  readonly p99Connections?: number;
  readonly p99Rate?: number;
  /** Scheduled rebuilds after the first build left out of the no-change samples. */
  readonly rebuildWarmups?: number;
  readonly noChangeSamples?: number;
  /** Scheduled rebuilds after one file changed (the rebuild phase; the target uses the watcher's). */
  readonly oneFileSamples?: number;
  /** Rebuilds of the server phase, each after one article was edited (the watcher builds them). */
  readonly memoryRebuilds?: number;
  /** The rebuild after which RSS is first sampled. */
  readonly memoryFirstSample?: number;
  /** New articles timed from their write until their topic feed lists them. */
  readonly freshnessSamples?: number;
  /** How often the freshness and restart polls ask (ms). */
  readonly pollMs?: number;
  /** FEED_ARCHIVES of the rebuild and serving phases' servers (default true, the service's default). */
  readonly serverArchives?: boolean;
  /**
   * Run the server phases side by side rather than one after the other: faster, but they
   * disturb each other's figures. For the smoke test only.
   */
  readonly parallelServerPhases?: boolean;
  /** Time budget of the whole run; each phase gets a share and leaves what it does not use. */
  readonly maxMinutes?: number;
  readonly log?: (line: string) => void;
}

export interface BenchResults {
  /** 2: cold builds and servers run through npm, the baseline's gray-matter without its cache, the server phase. */
  readonly schema: 2;
  readonly startedAt: string;
  finishedAt: string;
  durationS: number;
  readonly machine: Machine;
  readonly git: { commit: string | null; dirty: boolean | null };
  readonly options: Required<Omit<BenchOptions, 'log' | 'resultsDir' | 'corpusRoot' | 'serviceRoot'>>;
  readonly serviceRoot: string;
  /** The untimed `node scripts/ensure-built.mjs` before the timed runs, and how long it took. */
  compile: { ms: number; note?: string } | null;
  readonly corpus: { n: number; seed: number; dir: string; bytes: number; drafts: number; generated: boolean }[];
  coldBuilds: ColdBuildRow[];
  server: ServerLifeFigures | null;
  rebuilds: RebuildFigures | null;
  serving: ServingFigures | null;
  memory: MemoryFigures | null;
  targets: Target[];
  readonly notes: string[];
}

const FULL = {
  quick: false,
  sizes: [10_000, 50_000, 100_000],
  seed: DEFAULT_SEED,
  runs: 3,
  loadSeconds: 12,
  servingRounds: 3,
  warmupSeconds: 2,
  idleSeconds: 5,
  connections: 32,
  p99Connections: 8,
  p99Rate: 200,
  rebuildWarmups: 1,
  noChangeSamples: 3,
  oneFileSamples: 2,
  memoryRebuilds: 100,
  memoryFirstSample: 10,
  freshnessSamples: 10,
  pollMs: 20,
  serverArchives: true,
  parallelServerPhases: false,
  /** The serving phase waits for the server's build cache save (SAVE_QUIET_MS, 30 s, after its build) before it measures. */
  servingAfterCacheSave: true,
  maxMinutes: 60,
};

const QUICK: typeof FULL = {
  ...FULL,
  quick: true,
  sizes: [1000],
  runs: 1,
  loadSeconds: 2,
  servingRounds: 1,
  warmupSeconds: 0.5,
  idleSeconds: 2,
  rebuildWarmups: 0,
  noChangeSamples: 2,
  oneFileSamples: 1,
  memoryRebuilds: 10,
  memoryFirstSample: 2,
  servingAfterCacheSave: false,
  maxMinutes: 10,
};

/** Shares of the time budget; a phase that finishes early leaves its rest to the next ones. */
const PHASE_SHARES = { cold: 0.4, server: 0.25, rebuilds: 0.2, serving: 0.15 };
const MAX_ITEMS = 50;
const BASE_URL = 'http://127.0.0.1:8080';
const TARGET_FEED_BYTES = 50_000;
const NOT_OPTIONS = ['log', 'resultsDir', 'corpusRoot', 'serviceRoot'];

export function resolveOptions(options: BenchOptions = {}): typeof FULL {
  const defaults = options.quick ? QUICK : FULL;
  const defined = Object.fromEntries(Object.entries(options).filter(([key, value]) => value !== undefined && !NOT_OPTIONS.includes(key)));
  const resolved = { ...defaults, ...defined } as typeof FULL;
  const sizes = [...resolved.sizes].sort((a, b) => a - b);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new TypeError(`sizes must be positive whole numbers, got ${JSON.stringify(resolved.sizes)}`);
  if (!(resolved.memoryFirstSample >= 1 && resolved.memoryFirstSample <= resolved.memoryRebuilds)) {
    throw new TypeError(`memoryFirstSample must be from 1 to memoryRebuilds (${resolved.memoryRebuilds}), got ${resolved.memoryFirstSample}`);
  }
  return { ...resolved, sizes };
}

/** Runs the whole bench and returns (and saves) its results. */
export async function runBench(options: BenchOptions = {}): Promise<BenchResults> {
  const settings = resolveOptions(options);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const resultsDir = options.resultsDir ?? path.join(REPO_ROOT, 'bench', 'results');
  const corpusRoot = options.corpusRoot ?? os.tmpdir();
  const serviceRoot = path.resolve(options.serviceRoot ?? REPO_ROOT);
  const started = Date.now();
  const deadline = started + settings.maxMinutes * 60_000;
  const results: BenchResults = {
    schema: 2,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationS: 0,
    machine: machine(),
    git: gitState(serviceRoot),
    options: settings,
    serviceRoot,
    compile: null,
    corpus: [],
    coldBuilds: [],
    server: null,
    rebuilds: null,
    serving: null,
    memory: null,
    targets: [],
    notes: [],
  };

  const shares = { ...PHASE_SHARES };
  /** The phase's share of the time left (with `joined` phases, which then run alongside). */
  const phaseBudget = (phase: keyof typeof PHASE_SHARES, joined: (keyof typeof PHASE_SHARES)[] = []): Budget => {
    const remainingShares = Object.values(shares).reduce((sum, share) => sum + share, 0);
    const phases = [phase, ...joined];
    const share = phases.reduce((sum, name) => sum + shares[name], 0);
    const budget = ((deadline - Date.now()) * share) / remainingShares;
    for (const name of phases) shares[name] = 0;
    return { deadline: Date.now() + Math.max(0, budget), log };
  };

  const serverSize = settings.sizes.at(-1)!;
  const corpora = new Map<number, { dir: string; manifest: CorpusManifest }>();
  for (const n of settings.sizes) {
    const began = Date.now();
    const corpus = await ensureCorpus(n, settings.seed, corpusRoot);
    corpora.set(n, corpus);
    results.corpus.push({ n, seed: settings.seed, dir: corpus.dir, bytes: corpus.manifest.bytes, drafts: corpus.manifest.drafts, generated: corpus.generated });
    log(`corpus N=${n}: ${corpus.generated ? `generated in ${Date.now() - began} ms` : 'cached'} (${corpus.dir})`);
  }

  // dist/ compiled once, untimed, as by a user's first build: the timed runs then pay only the
  // up-to-date check of `npm run build:feeds` and `npm start`, as a user's second build does.
  results.compile = await ensureServiceBuilt(serviceRoot, 10 * 60_000);
  log(`service compiled: ${results.compile.note ?? `node scripts/ensure-built.mjs, ${results.compile.ms} ms`}`);

  const work = await mkdtemp(path.join(os.tmpdir(), 'feed-bench-work-'));
  try {
    const cold = await measureColdBuilds(
      { sizes: settings.sizes, runs: settings.runs, corpora, settings: { maxItems: MAX_ITEMS, baseUrl: BASE_URL, serviceRoot }, workRoot: path.join(work, 'cold') },
      phaseBudget('cold'),
    );
    results.coldBuilds = cold.rows;
    results.notes.push(...cold.notes);
    const coldDefault = results.coldBuilds.find((row) => row.n === serverSize && row.variant === 'ours-archives')?.medianWallMs ?? undefined;

    // The server phases edit their content, so they get a copy (hard links). One after the other
    // (the default), they share it and the feeds and state folders: the server phase starts on
    // empty ones; the rebuild phase's server then starts over what it left (CONTENT_DIR is a
    // symbolic link the cold rebuild swaps); the serving phase starts on the same state with an
    // empty feeds folder. Side by side (smoke runs only: the phases then disturb each other's
    // figures), each has its own.
    const parallel = settings.parallelServerPhases;
    const manifest = corpora.get(serverSize)!.manifest;
    const corpusDir = corpora.get(serverSize)!.dir;
    const content = path.join(work, 'content');
    const sharedBudget = parallel ? phaseBudget('server', ['rebuilds', 'serving']) : undefined;
    const common = { n: serverSize, serviceRoot, maxItems: MAX_ITEMS, baseUrl: BASE_URL };
    const privateCopy = async (name: string, budget: Budget) => {
      const dir = path.join(work, name);
      await copyTree(corpusDir, dir, Math.max(1, budget.deadline - Date.now()));
      return dir;
    };
    if (!parallel) {
      await copyTree(corpusDir, path.join(work, 'content-1'), 30 * 60_000);
      await symlink(path.join(work, 'content-1'), content);
    }
    const serverPhase = async () => {
      const budget = sharedBudget ?? phaseBudget('server');
      try {
        const { life, memory } = await measureServerLife(
          {
            ...common,
            contentDir: parallel ? await privateCopy('content-s', budget) : content,
            feedsDir: path.join(work, parallel ? 'feeds-s' : 'feeds-a'),
            stateDir: path.join(work, parallel ? 'state-s' : 'state'),
            manifest,
            rebuilds: settings.memoryRebuilds,
            firstSampleAfter: settings.memoryFirstSample,
            freshnessSamples: settings.freshnessSamples,
            pollMs: settings.pollMs,
          },
          budget,
        );
        results.server = life;
        results.memory = memory;
      } catch (error) {
        results.notes.push(`server: ${(error as Error).message}`);
      }
    };
    const rebuildsPhase = async () => {
      const budget = sharedBudget ?? phaseBudget('rebuilds');
      try {
        if (parallel) await symlink(await privateCopy('content-1', budget), content);
        results.rebuilds = await measureRebuilds(
          {
            ...common,
            contentDir: content,
            feedsDir: path.join(work, 'feeds-a'),
            stateDir: path.join(work, 'state'),
            manifest,
            archives: settings.serverArchives,
            rebuildWarmups: settings.rebuildWarmups,
            noChangeSamples: settings.noChangeSamples,
            oneFileSamples: settings.oneFileSamples,
            p99Connections: settings.p99Connections,
            p99Rate: settings.p99Rate,
            idleSeconds: settings.idleSeconds,
            targetFeedBytes: TARGET_FEED_BYTES,
            coldBuildMs: results.server?.firstBuild.durationMs ?? coldDefault,
          },
          budget,
        );
      } catch (error) {
        results.notes.push(`rebuilds: ${(error as Error).message}`);
      }
    };
    const servingPhase = async () => {
      results.serving = await measureServing(
        {
          ...common,
          contentDir: parallel ? corpusDir : content,
          feedsDir: path.join(work, 'feeds-b'),
          stateDir: path.join(work, parallel ? 'state-b' : 'state'),
          workDir: work,
          archives: settings.serverArchives,
          targetFeedBytes: TARGET_FEED_BYTES,
          connections: settings.connections,
          pipelining: 1,
          loadSeconds: settings.loadSeconds,
          rounds: settings.servingRounds,
          warmupSeconds: settings.warmupSeconds,
          idleConnections: settings.p99Connections,
          idleRate: settings.p99Rate,
          idleSeconds: settings.idleSeconds,
          afterCacheSave: settings.servingAfterCacheSave,
        },
        sharedBudget ?? phaseBudget('serving'),
      );
    };
    if (parallel) {
      results.notes.push('server phases ran side by side (parallelServerPhases): their figures disturb each other');
      await Promise.all([serverPhase(), rebuildsPhase(), servingPhase()]);
    } else {
      await serverPhase();
      await rebuildsPhase();
      await servingPhase();
    }
  } finally {
    // Removed only now: deleting gigabytes right before a timed run slows its writes.
    await rm(work, { recursive: true, force: true });
  }

  results.targets = evaluateTargets(results);
  results.finishedAt = new Date().toISOString();
  results.durationS = Math.round((Date.now() - started) / 100) / 10;
  await saveResults(results, resultsDir);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Targets, figures, table

export function evaluateTargets(results: BenchResults): Target[] {
  const largest = results.options.sizes.at(-1)!;
  const cold = (variant: BuildVariant, n = largest) => results.coldBuilds.find((row) => row.n === n && row.variant === variant);
  const baseline = cold('baseline');
  const defaults = cold('ours-archives');
  const cached = cold('ours-cached');
  const noArchives = cold('ours');
  const serverN = results.server?.n ?? largest;
  const baselineAtServer = cold('baseline', serverN);
  const rebuildN = results.rebuilds?.n ?? largest;
  const baselineAtRebuilds = cold('baseline', rebuildN)?.medianWallMs;
  const rps = (scenario: (typeof SCENARIOS)[number], server: (typeof TARGETS)[number]) => results.serving?.scenarios[scenario][server]?.requestsPerSecond;
  // Older result files have no CPU figures.
  const cpuOf = (scenario: (typeof SCENARIOS)[number], server: (typeof TARGETS)[number]) => results.serving?.cpuMicrosPerResponse?.[scenario][server] ?? null;
  const servingDetail = (scenario: (typeof SCENARIOS)[number]) =>
    `${num(rps(scenario, 'ours'))} vs ${num(rps(scenario, 'express'))} req/s` +
    (cpuOf(scenario, 'ours') === null || cpuOf(scenario, 'express') === null ? '' : `; CPU ${num(cpuOf(scenario, 'ours'))} vs ${num(cpuOf(scenario, 'express'))} µs a response`);
  const life = results.server;
  const restart = life?.restart;
  const m = results.memory;
  const wallVsBaseline = (row: ColdBuildRow | undefined) => `${ms(row?.medianWallMs)} vs ${ms(baseline?.medianWallMs)}`;
  const rssVsBaseline = (row: ColdBuildRow | undefined) => `${mb(row?.medianMaxRssKb)} vs ${mb(baseline?.medianMaxRssKb)}`;
  return [
    target('cold-archives-time', `cold build N=${largest}, defaults (archives on): time vs baseline`, ratio(defaults?.medianWallMs, baseline?.medianWallMs), 'ratio', '<=', 1, wallVsBaseline(defaults)),
    target('cold-archives-rss', `cold build N=${largest}, defaults (archives on): peak RSS vs baseline`, ratio(defaults?.medianMaxRssKb, baseline?.medianMaxRssKb), 'ratio', '<=', 1, rssVsBaseline(defaults)),
    target('cold-time', `cold build N=${largest}, FEED_ARCHIVES=false: time vs baseline`, ratio(noArchives?.medianWallMs, baseline?.medianWallMs), 'ratio', '<=', 0.4, wallVsBaseline(noArchives)),
    target('cold-rss', `cold build N=${largest}, FEED_ARCHIVES=false: peak RSS vs baseline`, ratio(noArchives?.medianMaxRssKb, baseline?.medianMaxRssKb), 'ratio', '<=', 0.5, rssVsBaseline(noArchives)),
    target('cold-cached-time', `cold build N=${largest}, cache kept, no change: time vs baseline`, ratio(cached?.medianWallMs, baseline?.medianWallMs), 'ratio', '<=', 0.1, wallVsBaseline(cached)),
    target('server-rss', `server N=${serverN}: RSS after its first build vs baseline peak`, ratio(life?.firstBuild.rssKb, baselineAtServer?.medianMaxRssKb), 'ratio', '<=', 1, `${mb(life?.firstBuild.rssKb)} vs ${mb(baselineAtServer?.medianMaxRssKb)}`),
    target('memory-growth', `server N=${m?.n ?? serverN}: RSS after rebuild ${m?.rebuildsPlanned ?? '?'} vs ${m?.firstSampleAfter ?? '?'}`, m?.ratio ?? null, 'ratio', '<', 1.1, `${mb(m?.rssKbLast)} vs ${mb(m?.rssKbFirst)}`),
    target('restart-first-200', `restart N=${serverN}: first 200 after spawn`, restart?.firstOkMs ?? null, 'ms', '<=', 1000, restart ? `listening after ${ms(restart.listeningMs)}; ${restart.refused} refused before` : 'n/a'),
    target('restart-non-200', `restart N=${serverN}: answers not 200`, restart?.firstOkMs == null ? null : restart.non200, 'count', '<=', 0, restart ? `${restart.polls} polls; ${JSON.stringify(restart.non200Kinds)}` : 'n/a'),
    target('freshness-median', `new article in its feed N=${serverN}: median`, life?.freshness.medianMs ?? null, 'ms', '<=', 1000, `${life?.freshness.samplesMs.length ?? 0} samples`),
    target('freshness-max', `new article in its feed N=${serverN}: worst`, life?.freshness.maxMs ?? null, 'ms', '<=', 2000, msList(life?.freshness.samplesMs ?? []) || 'n/a'),
    target('rebuild-one-file', `one-file rebuild N=${serverN} (watcher) vs baseline cold`, ratio(life?.watcherRebuilds.medianMs, baselineAtServer?.medianWallMs), 'ratio', '<=', 0.05, `${ms(life?.watcherRebuilds.medianMs)} vs ${ms(baselineAtServer?.medianWallMs)}`),
    target('rebuild-no-change', `no-change rebuild N=${rebuildN} (schedule) vs baseline cold`, ratio(results.rebuilds?.noChange.medianMs, baselineAtRebuilds), 'ratio', '<=', 0.03, `${ms(results.rebuilds?.noChange.medianMs)} vs ${ms(baselineAtRebuilds)}`),
    target('serve-200', 'feed 200 req/s vs Express floor', ratio(rps('ok200', 'ours'), rps('ok200', 'express')), 'ratio', '>=', 0.9, servingDetail('ok200')),
    target('serve-304', 'feed 304 req/s vs Express floor', ratio(rps('notModified', 'ours'), rps('notModified', 'express')), 'ratio', '>=', 0.9, servingDetail('notModified')),
    target('serve-gzip', 'feed gzip req/s vs Express floor', ratio(rps('gzip', 'ours'), rps('gzip', 'express')), 'ratio', '>=', 0.85, servingDetail('gzip')),
    target('p99-cold-rebuild', 'p99 during cold rebuild vs idle', ratio(results.rebuilds?.coldRebuild.p99Ms, idleP99Ms(results)), 'ratio', '<=', 3, `${results.rebuilds?.coldRebuild.p99Ms ?? 'n/a'} vs ${idleP99Ms(results) ?? 'n/a'} ms`),
  ];
}

/**
 * The idle p99 the p99 during the cold rebuild is compared with: the lower of the two idle
 * figures, the rebuild phase's server just before that rebuild (same process and load, but its
 * scheduled builds keep running every 2 s) and the serving phase's quiet server. The lower one
 * makes the stricter ratio; either is used alone when the other is missing.
 */
function idleP99Ms(results: BenchResults): number | null {
  const figures = [results.rebuilds?.coldRebuild.idleP99Ms, results.serving?.idle?.latencyP99Ms].filter((value): value is number => typeof value === 'number');
  return figures.length ? Math.min(...figures) : null;
}

/**
 * The headline figures by name, for checks and comparisons: every one should be a finite positive
 * number after a complete run (null marks one that could not be measured), except counts, whose
 * names end in `Count` (and the targets with unit `count`), which may be 0.
 */
export function keyFigures(results: BenchResults): Record<string, number | null> {
  const figures: Record<string, number | null> = {};
  for (const row of results.coldBuilds) {
    figures[`cold.${row.n}.${row.variant}.wallMs`] = row.medianWallMs;
    figures[`cold.${row.n}.${row.variant}.maxRssKb`] = row.medianMaxRssKb;
  }
  const life = results.server;
  figures['server.firstBuildMs'] = life?.firstBuild.durationMs ?? null;
  figures['server.rssKbAfterFirstBuild'] = life?.firstBuild.rssKb ?? null;
  figures['server.watcherRebuildMs'] = life?.watcherRebuilds.medianMs ?? null;
  figures['server.freshnessMedianMs'] = life?.freshness.medianMs ?? null;
  figures['server.freshnessMaxMs'] = life?.freshness.maxMs ?? null;
  figures['server.restartFirstOkMs'] = life?.restart.firstOkMs ?? null;
  figures['server.restartBuildMs'] = life?.restart.buildMs ?? null;
  figures['server.restartNon200Count'] = life?.restart.firstOkMs == null ? null : life.restart.non200;
  figures['rebuilds.bootBuildMs'] = results.rebuilds?.bootBuildMs ?? null;
  figures['rebuilds.noChangeMs'] = results.rebuilds?.noChange.medianMs ?? null;
  figures['rebuilds.oneFileChangeMs'] = results.rebuilds?.oneFileChange.medianMs ?? null;
  figures['rebuilds.coldRebuildMs'] = results.rebuilds?.coldRebuild.rebuildMs ?? null;
  figures['rebuilds.coldRebuildP99Ms'] = results.rebuilds?.coldRebuild.p99Ms ?? null;
  figures['rebuilds.idleP99Ms'] = results.rebuilds?.coldRebuild.idleP99Ms ?? null;
  for (const scenario of SCENARIOS) {
    for (const server of TARGETS) {
      const load = results.serving?.scenarios[scenario][server];
      figures[`serving.${scenario}.${server}.requestsPerSecond`] = load?.requestsPerSecond ?? null;
      figures[`serving.${scenario}.${server}.p99Ms`] = load?.latencyP99Ms ?? null;
      figures[`serving.${scenario}.${server}.cpuMicrosPerResponse`] = results.serving?.cpuMicrosPerResponse?.[scenario][server] ?? null;
    }
  }
  figures['serving.idleP99Ms'] = results.serving?.idle?.latencyP99Ms ?? null;
  figures['memory.rssKbFirst'] = results.memory?.rssKbFirst ?? null;
  figures['memory.rssKbLast'] = results.memory?.rssKbLast ?? null;
  figures['memory.ratio'] = results.memory?.ratio ?? null;
  for (const judged of results.targets) figures[`target.${judged.id}`] = judged.ratio;
  return figures;
}

export function formatResults(results: BenchResults): string {
  const out: string[] = [];
  const o = results.options;
  const [first, second] = reportHeading('Feed bench', results);
  out.push(first!, `${second}; ${o.quick ? 'QUICK' : 'full'} run; FEED_MAX_ITEMS=${MAX_ITEMS}; seed ${o.seed}`);
  out.push('');
  out.push(
    `Cold \`npm run build:feeds\` (each run its own process tree; wall time from spawn to exit, npm and the up-to-date check included; peak RSS the largest node process's but npm's; median of runs; dist/ compiled once before: ${results.compile?.note ?? `${results.compile?.ms ?? '?'} ms`})`,
  );
  const baselineOf = (n: number) => results.coldBuilds.find((row) => row.n === n && row.variant === 'baseline');
  out.push(
    table(
      ['N', 'build', 'runs', 'wall ms', 'build ms', 'peak RSS MB', 'time/baseline', 'RSS/baseline', 'note'],
      results.coldBuilds.map((row) => {
        const base = baselineOf(row.n);
        return [
          String(row.n),
          VARIANT_LABELS[row.variant],
          `${row.runs.filter((run) => run.ok).length}/${row.runs.length}`,
          fixed(row.medianWallMs),
          fixed(row.medianBuildMs),
          fixed(row.medianMaxRssKb === null ? null : row.medianMaxRssKb / 1024),
          row.variant === 'baseline' ? '' : fixed(ratio(row.medianWallMs, base?.medianWallMs), 2),
          row.variant === 'baseline' ? '' : fixed(ratio(row.medianMaxRssKb, base?.medianMaxRssKb), 2),
          shorten(row.note ?? '', 60),
        ];
      }),
    ),
  );
  const life = results.server;
  const m = results.memory;
  if (life) {
    const restart = life.restart;
    out.push('');
    out.push(`The server as users run it, N=${life.n}: ${life.command}; durationMs from its "build finished" lines, RSS from ${life.firstBuild.rssSource ?? 'n/a'}`);
    out.push(
      table(
        ['figure', 'value', 'samples'],
        [
          ['first build (cold, empty feeds and state folders)', ms(life.firstBuild.durationMs), ''],
          ['RSS after the first build, 10 s after it was quiet', mb(life.firstBuild.rssKb), `${mb(life.firstBuild.rssKbAtFinish)} at its end, ${mb(life.firstBuild.rssKbAtQuiet)} once quiet (after ${ms(life.firstBuild.quietAfterMs)})`],
          [`new article file until in ${life.freshness.feed ?? 'its feed'}: median / worst`, `${ms(life.freshness.medianMs)} / ${ms(life.freshness.maxMs)}`, `${msList(life.freshness.samplesMs)} (their builds: ${msList(life.freshness.buildMs)} ms)`],
          [`one article edited, the watcher's build: median / worst`, `${ms(life.watcherRebuilds.medianMs)} / ${ms(life.watcherRebuilds.maxMs)}`, `${life.watcherRebuilds.samplesMs.length} builds; first ${msList(life.watcherRebuilds.samplesMs.slice(0, 5))}`],
          [
            `RSS after rebuild ${m?.firstSampleAfter ?? '?'} / ${m?.rebuildsPlanned ?? '?'}`,
            `${mb(m?.rssKbFirst)} / ${mb(m?.rssKbLast)}`,
            m ? `${m.rebuildsDone} done; largest after rebuilds 1-${m.firstSampleAfter} / the last ${m.firstSampleAfter}: ${mb(m.peakKbFirst)} / ${mb(m.peakKbLast)}; largest of all ${mb(m.series.length ? Math.max(...m.series) : null)}` : '',
          ],
          ['restart over that build: "serving feeds" / first 200', `${ms(restart.listeningMs)} / ${ms(restart.firstOkMs)}`, `from spawn; ${restart.refused} refused before it listened`],
          ['restart: answers not 200, polls', `${restart.non200} of ${restart.polls}`, `${JSON.stringify(restart.non200Kinds)}; ${restart.pollsAfterFirstOk} polls after the first 200`],
          ["restart: its first build (state kept)", ms(restart.buildMs), `${restart.buildWritten ?? 'n/a'} written; finished ${ms(restart.buildFinishedMs)} after spawn`],
        ],
      ),
    );
  }
  const r = results.rebuilds;
  if (r) {
    out.push('');
    out.push(`Scheduled builds, N=${r.n}, FEED_ARCHIVES=${r.archives}, BUILD_CRON='${r.cron}', WATCH_CONTENT=false (durationMs from the "build finished" log lines)`);
    out.push(
      table(
        ['build', 'ms', 'samples'],
        [
          ['first build (over the server phase\'s folders when run after it)', fixed(r.bootBuildMs), ''],
          ['scheduled rebuild, no change', fixed(r.noChange.medianMs), msList(r.noChange.samplesMs)],
          ['scheduled rebuild, one file changed', fixed(r.oneFileChange.medianMs), msList(r.oneFileChange.samplesMs)],
          [
            `cold rebuild in the running server (all ${r.coldRebuild.revisedFiles || ''} files changed at once)`.replace('  ', ' '),
            fixed(r.coldRebuild.rebuildMs),
            r.coldRebuild.filesParsed === null ? '' : `${r.coldRebuild.filesParsed} parsed, ${r.coldRebuild.written} written`,
          ],
        ],
      ),
    );
  }
  const s = results.serving;
  if (s) {
    out.push('');
    out.push(
      `Serving ${s.feed ? `${s.feed.path} (${s.feed.bytes} bytes, gzip ${s.feed.gzipBytes})` : '(no feed)'}, N=${s.n}; autocannon in the bench process${s.pinned ? ' (on its own CPU; the servers on CPU 0)' : ''}, ${s.load.connections} connections, pipelining ${s.load.pipelining}, ${s.load.seconds} s each in ${s.load.rounds ?? 1} interleaved round(s) after ${s.load.warmupSeconds} s warm-up`,
    );
    const rows: string[][] = [];
    for (const scenario of SCENARIOS) {
      const express = s.scenarios[scenario].express?.requestsPerSecond;
      for (const server of TARGETS) {
        const load = s.scenarios[scenario][server];
        rows.push([
          scenario === 'ok200' ? '200' : scenario === 'notModified' ? '304 (If-None-Match)' : '200 gzip',
          server === 'ours' ? 'ours (npm start)' : server === 'express' ? 'Express floor' : 'node:http floor',
          fixed(load?.requestsPerSecond),
          fixed(load?.latencyP50Ms, 2),
          fixed(load?.latencyP99Ms, 2),
          server === 'express' ? '' : fixed(ratio(load?.requestsPerSecond, express), 2),
          fixed(s.cpuMicrosPerResponse?.[scenario][server]),
          server === 'express' ? '' : roundRatios(s.rounds?.[scenario][server], s.rounds?.[scenario].express),
        ]);
      }
    }
    out.push(table(['response', 'server', 'req/s', 'p50 ms', 'p99 ms', 'vs Express', 'CPU µs a response', 'each round vs Express'], rows));
  }
  out.push('');
  out.push(
    table(
      [`latency of feed requests (${o.p99Rate} req/s offered)`, 'connections', 'p50 ms', 'p99 ms', 'req/s'],
      [
        ['idle, the same server just before the cold rebuild', String(o.p99Connections), fixed(r?.coldRebuild.idleLoad?.latencyP50Ms, 2), fixed(r?.coldRebuild.idleP99Ms, 2), fixed(r?.coldRebuild.idleLoad?.requestsPerSecond)],
        ['idle, the serving phase\'s server (no build running)', String(o.p99Connections), fixed(s?.idle?.latencyP50Ms, 2), fixed(s?.idle?.latencyP99Ms, 2), fixed(s?.idle?.requestsPerSecond)],
        ['during a cold rebuild in the running server', String(o.p99Connections), fixed(r?.coldRebuild.load?.latencyP50Ms, 2), fixed(r?.coldRebuild.p99Ms, 2), fixed(r?.coldRebuild.load?.requestsPerSecond)],
      ],
    ),
  );
  out.push('');
  out.push('Targets');
  out.push(formatTargets(results.targets));
  const notes = [...results.notes, ...(life?.notes ?? []), ...(m?.notes ?? []), ...(r?.notes ?? []), ...(s?.notes ?? [])];
  if (notes.length) {
    out.push('');
    out.push('Notes (in full in the JSON)');
    for (const note of notes) out.push(`- ${shorten(note, 400)}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `Usage: npm run bench -- [--quick] [--sizes 10000,50000,100000] [--runs 3] [--max-minutes 60]
                       [--server-archives true|false] [--results DIR] [--service-root DIR]
       npm run bench -- --million [--million-n 1000000] [--results DIR] [--service-root DIR]

Prints a table with PASS/MISS per target and writes bench/results/<timestamp>.json and latest.json
(--million: <timestamp>-million.json and latest-million.json).`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean' },
        sizes: { type: 'string' },
        runs: { type: 'string' },
        'max-minutes': { type: 'string' },
        'server-archives': { type: 'string' },
        results: { type: 'string' },
        'service-root': { type: 'string' },
        million: { type: 'boolean' },
        'million-n': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.million) {
    const options: MillionOptions = {
      n: values['million-n'] === undefined ? undefined : Number(values['million-n']),
      resultsDir: values.results,
      serviceRoot: values['service-root'],
    };
    const results = await runMillion(options);
    process.stdout.write(`${formatMillion(results)}\n`);
    if (results.refused) return 1;
    process.stdout.write(`\nSaved ${path.join(values.results ?? path.join('bench', 'results'), 'latest-million.json')}\n`);
    return 0;
  }
  const results = await runBench({
    quick: values.quick,
    sizes: values.sizes?.split(',').map((size) => Number(size.trim())),
    runs: values.runs === undefined ? undefined : Number(values.runs),
    maxMinutes: values['max-minutes'] === undefined ? undefined : Number(values['max-minutes']),
    serverArchives: values['server-archives'] === undefined ? undefined : values['server-archives'] === 'true',
    resultsDir: values.results,
    serviceRoot: values['service-root'],
  });
  process.stdout.write(`${formatResults(results)}\n`);
  process.stdout.write(`\nSaved ${path.join(values.results ?? path.join('bench', 'results'), 'latest.json')}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
