/**
 * `npm run bench`: the figures of issue 5, printed as a table with PASS/MISS per target and saved
 * as JSON to bench/results/<ISO timestamp>.json and bench/results/latest.json.
 *
 *   npm run bench                                # full: N = 10k, 50k, 100k (well under 30 min)
 *   npm run bench -- --quick                     # N = 1000, 2 s loads, 10 rebuilds (about a minute)
 *   npm run bench -- --sizes 10000,50000         # other sizes; the server parts use the largest
 *
 * Phases, each in child processes, each bounded by a share of `--max-minutes`:
 *   1. cold static builds, baseline and ours alternately (bench/cold-builds.ts);
 *   2. scheduled rebuilds and p99 during a cold rebuild in the running server;
 *   3. serving against the Express and node:http floors, and the idle p99;
 *   4. memory over many scheduled rebuilds (bench/server-phases.ts).
 * The corpus is generated once per N and seed into the temporary folder and reused (bench/corpus.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runColdBuild, summarize, VARIANT_LABELS, type BuildVariant, type ColdBuildRow } from './cold-builds.js';
import { DEFAULT_SEED, ensureCorpus, type CorpusManifest } from './corpus.js';
import { REPO_ROOT } from './processes.js';
import { copyTree } from './service.js';
import {
  measureMemory,
  measureRebuilds,
  measureServing,
  SCENARIOS,
  TARGETS,
  type Budget,
  type MemoryFigures,
  type RebuildFigures,
  type ServingFigures,
} from './server-phases.js';

export interface BenchOptions {
  /** N = 1000, 2 s loads, 10 memory rebuilds, a 6-minute budget. */
  readonly quick?: boolean;
  /** Corpus sizes for the cold builds; the server phases use the largest. */
  readonly sizes?: readonly number[];
  readonly seed?: number;
  /** Where the JSON goes (default bench/results). */
  readonly resultsDir?: string;
  /** Where corpora are cached (default the system temporary folder). */
  readonly corpusRoot?: string;
  /**
   * The checkout whose src/ is measured (default: this repository), e.g. an exported older commit
   * with node_modules linked in. The baseline and the floors always come from this bench/.
   */
  readonly serviceRoot?: string;
  /** Baseline/ours pairs per size. */
  readonly runs?: number;
  /** Runs of ours with archives per size (after all pairs). */
  readonly archiveRuns?: number;
  /** Seconds of load per scenario and target, split into `servingRounds` interleaved rounds. */
  readonly loadSeconds?: number;
  readonly servingRounds?: number;
  readonly warmupSeconds?: number;
  readonly idleSeconds?: number;
  readonly connections?: number;
  /** Low load for the p99 figures (idle and during the cold rebuild): connections, req/s in all. */
  readonly p99Connections?: number;
  readonly p99Rate?: number;
  /** Scheduled rebuilds after boot left out of the no-change samples. */
  readonly rebuildWarmups?: number;
  readonly noChangeSamples?: number;
  readonly oneFileSamples?: number;
  /** N of the memory phase (default 10 000; quick: the smallest size). */
  readonly memorySize?: number;
  readonly memoryRebuilds?: number;
  readonly memoryFirstSample?: number;
  /**
   * FEED_ARCHIVES of the long-running servers. Default false: the rebuild targets are ratios to
   * the baseline, which writes no archives, and a full run stays within its time. `true` is the
   * service's own default.
   */
  readonly serverArchives?: boolean;
  /**
   * Run the three server phases side by side rather than one after the other: faster, but they
   * disturb each other's figures. For the smoke test only.
   */
  readonly parallelServerPhases?: boolean;
  /** Time budget of the whole run; each phase gets a share and leaves what it does not use. */
  readonly maxMinutes?: number;
  readonly log?: (line: string) => void;
}

export interface Target {
  readonly id: string;
  readonly label: string;
  /** The measured ratio, or null when a figure is missing. */
  readonly ratio: number | null;
  readonly limit: number;
  readonly comparison: '<=' | '>=' | '<';
  readonly pass: boolean;
  readonly detail: string;
}

export interface BenchResults {
  readonly schema: 1;
  readonly startedAt: string;
  finishedAt: string;
  durationS: number;
  readonly machine: { node: string; cpus: number; cpuModel: string; memoryMb: number; platform: string };
  readonly git: { commit: string | null; dirty: boolean | null };
  readonly options: Required<Omit<BenchOptions, 'log' | 'resultsDir' | 'corpusRoot' | 'serviceRoot'>>;
  readonly serviceRoot: string;
  readonly corpus: { n: number; seed: number; dir: string; bytes: number; drafts: number; generated: boolean }[];
  readonly coldBuilds: ColdBuildRow[];
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
  archiveRuns: 1,
  loadSeconds: 12,
  servingRounds: 3,
  warmupSeconds: 2,
  idleSeconds: 5,
  connections: 32,
  p99Connections: 8,
  p99Rate: 200,
  rebuildWarmups: 1,
  noChangeSamples: 3,
  oneFileSamples: 3,
  memorySize: 10_000,
  memoryRebuilds: 100,
  memoryFirstSample: 10,
  serverArchives: false,
  parallelServerPhases: false,
  maxMinutes: 28,
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
  memorySize: 1000,
  memoryRebuilds: 10,
  memoryFirstSample: 2,
  maxMinutes: 6,
};

/** Shares of the time budget; a phase that finishes early leaves its rest to the next ones. */
const PHASE_SHARES = { cold: 0.42, rebuilds: 0.22, serving: 0.14, memory: 0.22 };
const MAX_ITEMS = 50;
const BASE_URL = 'http://127.0.0.1:8080';
const TARGET_FEED_BYTES = 50_000;

export function resolveOptions(options: BenchOptions = {}): typeof FULL {
  const defaults = options.quick ? QUICK : FULL;
  const defined = Object.fromEntries(Object.entries(options).filter(([key, value]) => value !== undefined && !['log', 'resultsDir', 'corpusRoot', 'serviceRoot'].includes(key)));
  const resolved = { ...defaults, ...defined } as typeof FULL;
  const sizes = [...resolved.sizes].sort((a, b) => a - b);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new TypeError(`sizes must be positive whole numbers, got ${JSON.stringify(resolved.sizes)}`);
  const memorySize = options.memorySize ?? (options.quick ? sizes[0]! : defaults.memorySize);
  return { ...resolved, sizes, memorySize };
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
    schema: 1,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationS: 0,
    machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryMb: Math.round(os.totalmem() / 2 ** 20), platform: `${os.platform()} ${os.release()}` },
    git: gitState(serviceRoot),
    options: settings,
    serviceRoot,
    corpus: [],
    coldBuilds: [],
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
  const corpusSizes = [...new Set([...settings.sizes, settings.memorySize])];
  const corpora = new Map<number, { dir: string; manifest: CorpusManifest }>();
  for (const n of corpusSizes) {
    const began = Date.now();
    const corpus = await ensureCorpus(n, settings.seed, corpusRoot);
    corpora.set(n, corpus);
    results.corpus.push({ n, seed: settings.seed, dir: corpus.dir, bytes: corpus.manifest.bytes, drafts: corpus.manifest.drafts, generated: corpus.generated });
    log(`corpus N=${n}: ${corpus.generated ? `generated in ${Date.now() - began} ms` : 'cached'} (${corpus.dir})`);
  }

  const work = await mkdtemp(path.join(os.tmpdir(), 'feed-bench-work-'));
  try {
    results.coldBuilds.push(...(await coldBuildPhase(settings, corpora, serviceRoot, phaseBudget('cold'))));

    // The rebuild phase edits its content, so it gets a copy. Run one after the other (the
    // default), the serving phase reuses that copy and the state (a build cache kept in
    // STATE_DIR, if any, shortens its boot, which is not measured). Run side by side (smoke
    // runs only: the phases then disturb each other's figures), each has its own.
    const parallel = settings.parallelServerPhases;
    const content = path.join(work, 'content');
    const contentCopy = path.join(work, 'content-1');
    const sharedBudget = parallel ? phaseBudget('rebuilds', ['serving', 'memory']) : undefined;
    const rebuildsPhase = async () => {
      const budget = sharedBudget ?? phaseBudget('rebuilds');
      try {
        await copyTree(corpora.get(serverSize)!.dir, contentCopy, Math.max(1, budget.deadline - Date.now()));
        await symlink(contentCopy, content);
        results.rebuilds = await measureRebuilds(
          {
            n: serverSize,
            contentDir: content,
            feedsDir: path.join(work, 'feeds-a'),
            stateDir: path.join(work, 'state'),
            manifest: corpora.get(serverSize)!.manifest,
            serviceRoot,
            archives: settings.serverArchives,
            maxItems: MAX_ITEMS,
            baseUrl: BASE_URL,
            rebuildWarmups: settings.rebuildWarmups,
            noChangeSamples: settings.noChangeSamples,
            oneFileSamples: settings.oneFileSamples,
            p99Connections: settings.p99Connections,
            p99Rate: settings.p99Rate,
            idleSeconds: settings.idleSeconds,
            targetFeedBytes: TARGET_FEED_BYTES,
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
          n: serverSize,
          contentDir: parallel ? corpora.get(serverSize)!.dir : content,
          feedsDir: path.join(work, 'feeds-b'),
          stateDir: path.join(work, parallel ? 'state-b' : 'state'),
          workDir: work,
          serviceRoot,
          archives: settings.serverArchives,
          maxItems: MAX_ITEMS,
          baseUrl: BASE_URL,
          targetFeedBytes: TARGET_FEED_BYTES,
          connections: settings.connections,
          pipelining: 1,
          loadSeconds: settings.loadSeconds,
          rounds: settings.servingRounds,
          warmupSeconds: settings.warmupSeconds,
          idleConnections: settings.p99Connections,
          idleRate: settings.p99Rate,
          idleSeconds: settings.idleSeconds,
        },
        sharedBudget ?? phaseBudget('serving'),
      );
    };
    const memoryPhase = async () => {
      results.memory = await measureMemory(
        {
          n: settings.memorySize,
          contentDir: corpora.get(settings.memorySize)!.dir,
          feedsDir: path.join(work, 'feeds-c'),
          stateDir: path.join(work, 'state-c'),
          archives: settings.serverArchives,
          maxItems: MAX_ITEMS,
          baseUrl: BASE_URL,
          rebuilds: settings.memoryRebuilds,
          firstSampleAfter: settings.memoryFirstSample,
          serviceRoot,
        },
        sharedBudget ?? phaseBudget('memory'),
      );
    };
    if (parallel) {
      results.notes.push('server phases ran side by side (parallelServerPhases): their figures disturb each other');
      await Promise.all([rebuildsPhase(), servingPhase(), memoryPhase()]);
    } else {
      await rebuildsPhase();
      await servingPhase();
      await memoryPhase();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  results.targets = evaluateTargets(results);
  results.finishedAt = new Date().toISOString();
  results.durationS = Math.round((Date.now() - started) / 100) / 10;
  await saveResults(results, resultsDir);
  return results;
}

async function coldBuildPhase(settings: typeof FULL, corpora: Map<number, { dir: string }>, serviceRoot: string, budget: Budget): Promise<ColdBuildRow[]> {
  const rows: ColdBuildRow[] = [];
  const row = (n: number, variant: BuildVariant) => {
    let found = rows.find((candidate) => candidate.n === n && candidate.variant === variant);
    if (!found) {
      found = { n, variant, runs: [], medianWallMs: null, medianMaxRssKb: null };
      rows.push(found);
    }
    return found;
  };
  const failed = new Set<BuildVariant>();
  const run = async (n: number, variant: BuildVariant) => {
    const target = row(n, variant);
    const left = budget.deadline - Date.now();
    if (failed.has(variant)) {
      target.note = 'skipped: a smaller size timed out';
      return;
    }
    if (left < 1000) {
      target.note = 'skipped: out of time';
      return;
    }
    const result = await runColdBuild(variant, corpora.get(n)!.dir, { maxItems: MAX_ITEMS, baseUrl: BASE_URL, serviceRoot }, Math.min(15 * 60_000, left));
    target.runs.push(result);
    if (!result.ok) {
      target.note = result.error;
      if (result.error?.startsWith('timed out')) failed.add(variant);
    }
    budget.log(`cold build N=${n} ${variant}: ${result.ok ? `${result.wallMs} ms, ${result.maxRssKb} KB peak RSS` : result.error}`);
  };
  for (const n of settings.sizes) {
    for (let pair = 0; pair < settings.runs; pair++) {
      await run(n, 'baseline');
      await run(n, 'ours');
    }
  }
  for (const n of settings.sizes) for (let repeat = 0; repeat < settings.archiveRuns; repeat++) await run(n, 'ours-archives');
  const order: BuildVariant[] = ['baseline', 'ours', 'ours-archives'];
  rows.sort((a, b) => a.n - b.n || order.indexOf(a.variant) - order.indexOf(b.variant));
  return rows.map(summarize);
}

function gitState(root: string): BenchResults['git'] {
  const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const status = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' });
  return {
    commit: commit.status === 0 ? commit.stdout.trim() : null,
    dirty: status.status === 0 ? status.stdout.trim().length > 0 : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Targets, figures, table

const ratio = (value: number | null | undefined, base: number | null | undefined) =>
  value === null || value === undefined || base === null || base === undefined || !Number.isFinite(value) || !Number.isFinite(base) || base <= 0 ? null : value / base;

export function evaluateTargets(results: BenchResults): Target[] {
  const largest = results.options.sizes.at(-1)!;
  const cold = (variant: BuildVariant, n = largest) => results.coldBuilds.find((row) => row.n === n && row.variant === variant);
  const baseline = cold('baseline');
  const ours = cold('ours');
  const rebuildN = results.rebuilds?.n ?? largest;
  const baselineAtServer = cold('baseline', rebuildN)?.medianWallMs;
  const rps = (scenario: (typeof SCENARIOS)[number], target: (typeof TARGETS)[number]) => results.serving?.scenarios[scenario][target]?.requestsPerSecond;
  const target = (id: string, label: string, value: number | null, comparison: Target['comparison'], limit: number, detail: string): Target => ({
    id,
    label,
    ratio: value,
    limit,
    comparison,
    pass: value !== null && (comparison === '<=' ? value <= limit : comparison === '>=' ? value >= limit : value < limit),
    detail,
  });
  const ms = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : `${Math.round(value)} ms`);
  return [
    target('cold-time', `cold build N=${largest}: time vs baseline`, ratio(ours?.medianWallMs, baseline?.medianWallMs), '<=', 0.4, `${ms(ours?.medianWallMs)} vs ${ms(baseline?.medianWallMs)}`),
    target('cold-rss', `cold build N=${largest}: peak RSS vs baseline`, ratio(ours?.medianMaxRssKb, baseline?.medianMaxRssKb), '<=', 0.5, `${mb(ours?.medianMaxRssKb)} vs ${mb(baseline?.medianMaxRssKb)}`),
    target('rebuild-no-change', `no-change rebuild N=${rebuildN} vs baseline cold`, ratio(results.rebuilds?.noChange.medianMs, baselineAtServer), '<=', 0.03, `${ms(results.rebuilds?.noChange.medianMs)} vs ${ms(baselineAtServer)}`),
    target('rebuild-one-file', `one-file rebuild N=${rebuildN} vs baseline cold`, ratio(results.rebuilds?.oneFileChange.medianMs, baselineAtServer), '<=', 0.05, `${ms(results.rebuilds?.oneFileChange.medianMs)} vs ${ms(baselineAtServer)}`),
    target('serve-200', 'feed 200 req/s vs Express floor', ratio(rps('ok200', 'ours'), rps('ok200', 'express')), '>=', 0.9, `${num(rps('ok200', 'ours'))} vs ${num(rps('ok200', 'express'))} req/s`),
    target('serve-304', 'feed 304 req/s vs Express floor', ratio(rps('notModified', 'ours'), rps('notModified', 'express')), '>=', 0.9, `${num(rps('notModified', 'ours'))} vs ${num(rps('notModified', 'express'))} req/s`),
    target('serve-gzip', 'feed gzip req/s vs Express floor', ratio(rps('gzip', 'ours'), rps('gzip', 'express')), '>=', 0.85, `${num(rps('gzip', 'ours'))} vs ${num(rps('gzip', 'express'))} req/s`),
    target('p99-cold-rebuild', 'p99 during cold rebuild vs idle', ratio(results.rebuilds?.coldRebuild.p99Ms, idleP99Ms(results)), '<=', 3, `${results.rebuilds?.coldRebuild.p99Ms ?? 'n/a'} vs ${idleP99Ms(results) ?? 'n/a'} ms`),
    target('memory-growth', `RSS after rebuild ${results.memory?.rebuildsPlanned ?? '?'} vs ${results.memory?.firstSampleAfter ?? '?'} (N=${results.memory?.n ?? '?'})`, results.memory?.ratio ?? null, '<', 1.1, `${mb(results.memory?.rssKbLast)} vs ${mb(results.memory?.rssKbFirst)}`),
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

function shorten(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function mb(kb: number | null | undefined): string {
  return kb === null || kb === undefined ? 'n/a' : `${Math.round(kb / 1024)} MB`;
}

function num(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : String(Math.round(value));
}

/**
 * The headline figures by name, for checks and comparisons: every one should be a finite positive
 * number after a complete run (null marks one that could not be measured).
 */
export function keyFigures(results: BenchResults): Record<string, number | null> {
  const figures: Record<string, number | null> = {};
  for (const row of results.coldBuilds) {
    figures[`cold.${row.n}.${row.variant}.wallMs`] = row.medianWallMs;
    figures[`cold.${row.n}.${row.variant}.maxRssKb`] = row.medianMaxRssKb;
  }
  figures['rebuilds.bootBuildMs'] = results.rebuilds?.bootBuildMs ?? null;
  figures['rebuilds.noChangeMs'] = results.rebuilds?.noChange.medianMs ?? null;
  figures['rebuilds.oneFileChangeMs'] = results.rebuilds?.oneFileChange.medianMs ?? null;
  figures['rebuilds.coldRebuildMs'] = results.rebuilds?.coldRebuild.rebuildMs ?? null;
  figures['rebuilds.coldRebuildP99Ms'] = results.rebuilds?.coldRebuild.p99Ms ?? null;
  figures['rebuilds.idleP99Ms'] = results.rebuilds?.coldRebuild.idleP99Ms ?? null;
  for (const scenario of SCENARIOS) {
    for (const target of TARGETS) {
      const load = results.serving?.scenarios[scenario][target];
      figures[`serving.${scenario}.${target}.requestsPerSecond`] = load?.requestsPerSecond ?? null;
      figures[`serving.${scenario}.${target}.p99Ms`] = load?.latencyP99Ms ?? null;
    }
  }
  figures['serving.idleP99Ms'] = results.serving?.idle?.latencyP99Ms ?? null;
  figures['memory.rssKbFirst'] = results.memory?.rssKbFirst ?? null;
  figures['memory.rssKbLast'] = results.memory?.rssKbLast ?? null;
  figures['memory.ratio'] = results.memory?.ratio ?? null;
  for (const target of results.targets) figures[`target.${target.id}`] = target.ratio;
  return figures;
}

async function saveResults(results: BenchResults, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const stamp = results.startedAt.replace(/:/g, '-');
  await writeFile(path.join(dir, `${stamp}.json`), json);
  await writeFile(path.join(dir, 'latest.json'), json);
}

/** Numbers right-aligned; the first column and text columns (`note`, `samples`, `figures`) left-aligned. */
function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const left = (column: number) => column === 0 || ['note', 'samples', 'figures'].includes(headers[column]!);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (left(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const fixed = (value: number | null | undefined, digits = 0) => (value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));

export function formatResults(results: BenchResults): string {
  const out: string[] = [];
  const o = results.options;
  out.push(`Feed bench ${results.startedAt} (${results.durationS} s)  node ${results.machine.node}, ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryMb} MB`);
  out.push(`${results.serviceRoot}: commit ${results.git.commit?.slice(0, 12) ?? '?'}${results.git.dirty ? ' + uncommitted changes in src/' : ''}; ${o.quick ? 'QUICK' : 'full'} run; FEED_MAX_ITEMS=${MAX_ITEMS}; seed ${o.seed}`);
  out.push('');
  out.push('Cold static build (each run its own process; wall time from spawn to exit; median of runs)');
  const baselineOf = (n: number) => results.coldBuilds.find((row) => row.n === n && row.variant === 'baseline');
  out.push(
    table(
      ['N', 'build', 'runs', 'wall ms', 'peak RSS MB', 'time/baseline', 'RSS/baseline', 'note'],
      results.coldBuilds.map((row) => {
        const base = baselineOf(row.n);
        return [
          String(row.n),
          VARIANT_LABELS[row.variant],
          `${row.runs.filter((run) => run.ok).length}/${row.runs.length}`,
          fixed(row.medianWallMs),
          fixed(row.medianMaxRssKb === null ? null : row.medianMaxRssKb / 1024),
          row.variant === 'baseline' ? '' : fixed(ratio(row.medianWallMs, base?.medianWallMs), 2),
          row.variant === 'baseline' ? '' : fixed(ratio(row.medianMaxRssKb, base?.medianMaxRssKb), 2),
          shorten(row.note ?? '', 60),
        ];
      }),
    ),
  );
  const r = results.rebuilds;
  if (r) {
    out.push('');
    out.push(`Long-running server, N=${r.n}, FEED_ARCHIVES=${r.archives}, BUILD_CRON='${r.cron}' (durationMs from the "build finished" log lines)`);
    out.push(
      table(
        ['build', 'ms', 'samples'],
        [
          ['boot build (cold, in the server)', fixed(r.bootBuildMs), ''],
          ['scheduled rebuild, no change', fixed(r.noChange.medianMs), r.noChange.samplesMs.join(', ')],
          ['scheduled rebuild, one file changed', fixed(r.oneFileChange.medianMs), r.oneFileChange.samplesMs.join(', ')],
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
      for (const target of TARGETS) {
        const load = s.scenarios[scenario][target];
        rows.push([
          scenario === 'ok200' ? '200' : scenario === 'notModified' ? '304 (If-None-Match)' : '200 gzip',
          target === 'ours' ? 'ours (src/main.ts)' : target === 'express' ? 'Express floor' : 'node:http floor',
          fixed(load?.requestsPerSecond),
          fixed(load?.latencyP50Ms, 2),
          fixed(load?.latencyP99Ms, 2),
          target === 'express' ? '' : fixed(ratio(load?.requestsPerSecond, express), 2),
        ]);
      }
    }
    out.push(table(['response', 'server', 'req/s', 'p50 ms', 'p99 ms', 'vs Express'], rows));
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
  const m = results.memory;
  if (m) {
    out.push('');
    out.push(
      `Memory, N=${m.n}, BUILD_CRON='${m.cron}', FEED_ARCHIVES=${m.archives}: RSS ${mb(m.rssKbFirst)} after rebuild ${m.firstSampleAfter}, ${mb(m.rssKbLast)} after rebuild ${m.rebuildsPlanned} (${m.rebuildsDone} done; from ${m.source ?? 'n/a'})`,
    );
  }
  out.push('');
  out.push('Targets');
  out.push(
    table(
      ['target', 'ratio', 'limit', 'result', 'figures'],
      results.targets.map((target) => [target.label, fixed(target.ratio, 3), `${target.comparison} ${target.limit}`, target.pass ? 'PASS' : target.ratio === null ? 'MISS (no figure)' : 'MISS', target.detail]),
    ),
  );
  const notes = [...results.notes, ...(r?.notes ?? []), ...(s?.notes ?? []), ...(m?.notes ?? [])];
  if (notes.length) {
    out.push('');
    out.push('Notes (in full in the JSON)');
    for (const note of notes) out.push(`- ${shorten(note, 400)}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `Usage: npm run bench -- [--quick] [--sizes 10000,50000,100000] [--runs 3] [--max-minutes 28]
                       [--server-archives true|false] [--results DIR] [--service-root DIR]

Prints a table with PASS/MISS per target and writes bench/results/<timestamp>.json and latest.json.`;

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
