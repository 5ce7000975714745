/**
 * The long-running-server parts of the bench that time the builds of the schedule, each against
 * `npm start` in its own process tree, with the content watcher off (WATCH_CONTENT=false):
 *
 * - rebuilds: scheduled rebuilds with no change, after one file changed, and the p99 of feed
 *   requests during a cold rebuild in the running server (every file changed at once);
 * - serving: one ~50 KB topic feed as 200, 304 and gzip, beside two floors sending the same bytes
 *   (bare Express, bare node:http), and the idle p99.
 *
 * The server as users run it (watcher on, restart, freshness, memory) is bench/server-life.ts.
 * Every wait is bounded by the phase's deadline; what a phase could not measure in time is left
 * null with a note, and the bench goes on.
 */
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CorpusManifest } from './corpus.js';
import { median } from './cold-builds.js';
import type { FloorResponses } from './floor-responses.js';
import { combineLoads, cpuMicrosPerResponse, loadProblems, runLoad, startLoad, type LoadResult } from './load.js';
import { msList } from './report.js';
import { pinToCpus, processCpuMs, SETTLE_AFTER_QUIET_MS, sleep, TimeoutError, waitUntilQuiet, type LogLine, type ServerProcess } from './processes.js';
import { chooseTopicFeed, isBuildFailed, isBuildFinished, isCacheSaved, isScheduledBuild, rawGet, reviseAll, reviseArticle, startFloor, startService, swapSymlink, type RunningService } from './service.js';

/** Node-cron pattern (6 fields) that fires on 1 January at midnight only: "never" during a bench. */
export const NEVER_CRON = '0 0 0 1 1 *';

export interface Budget {
  /** Absolute time (ms since the epoch) by which the phase must be done. */
  readonly deadline: number;
  readonly log: (line: string) => void;
}

/** A wait's time limit: `capMs`, cut to what is left of the phase. */
export function within({ deadline }: Budget, capMs: number): number {
  const left = deadline - Date.now();
  if (left <= 0) throw new TimeoutError('the phase used up its time budget');
  return Math.min(capMs, left);
}

/** Where a phase's server runs: the checkout, the corpus size and the folders it is given. */
export interface PhaseFolders {
  /** The service's checkout (default: this repository). */
  readonly serviceRoot?: string;
  readonly n: number;
  readonly contentDir: string;
  readonly feedsDir: string;
  readonly stateDir: string;
  readonly maxItems: number;
  readonly baseUrl: string;
}

/** What the rebuild and serving phases' servers are started from. */
type PhaseServiceOptions = PhaseFolders & { readonly archives: boolean };

/**
 * A phase's server on its options, with the schedule `cron` and the content watcher off
 * (WATCH_CONTENT=false: these phases time the builds of the schedule, and the cold rebuild swaps
 * CONTENT_DIR, which the watcher would build at once), allowed 15 minutes for its first build.
 */
function startPhaseService(name: string, cron: string, options: PhaseServiceOptions, budget: Budget): Promise<RunningService> {
  const { contentDir, feedsDir, stateDir, archives, maxItems, baseUrl, serviceRoot } = options;
  return startService({ name, contentDir, feedsDir, stateDir, cron, archives, watch: false, maxItems, baseUrl, serviceRoot, bootTimeoutMs: within(budget, 15 * 60_000) });
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The server's last log lines, for the note of a phase that stopped early. */
export function lastLogLines(server: ServerProcess | undefined, count = 6): string[] {
  if (!server) return [];
  return server.lines.slice(-count).map(({ receivedAt, ...line }) => `${server.name} log, ${Math.round(receivedAt - server.startedAt)} ms after spawn: ${JSON.stringify(line).slice(0, 300)}`);
}

/** Waits for the next scheduled build that finishes after log index `since`; returns it and its index. */
async function nextBuild(server: ServerProcess, since: number, timeoutMs: number, accept: (line: LogLine) => boolean = () => true): Promise<{ line: LogLine; index: number }> {
  const line = await server.waitFor((candidate) => (isScheduledBuild(candidate) && accept(candidate)) || isBuildFailed(candidate), { since, timeoutMs, what: 'scheduled "build finished"' });
  if (!isBuildFinished(line)) throw new Error(`${server.name}: a build failed: ${JSON.stringify(line).slice(0, 400)}`);
  return { line, index: server.lines.indexOf(line) };
}

const durationOf = (line: LogLine) => (typeof line.durationMs === 'number' ? line.durationMs : Number.NaN);
const writtenOf = (line: LogLine) => (typeof line.written === 'number' ? line.written : Number.NaN);

// ---------------------------------------------------------------------------------------------
// Rebuilds

export interface RebuildOptions extends PhaseFolders {
  /**
   * A symbolic link to a private copy of the corpus, used as CONTENT_DIR: this phase edits one
   * file at a time, then swaps the link to a copy with every file changed.
   */
  readonly contentDir: string;
  readonly manifest: CorpusManifest;
  readonly archives: boolean;
  /** Scheduled builds after boot that are not measured. */
  readonly rebuildWarmups: number;
  readonly noChangeSamples: number;
  readonly oneFileSamples: number;
  /** The low load kept up during the cold rebuild (as for the idle p99): connections, req/s in all. */
  readonly p99Connections: number;
  readonly p99Rate: number;
  /** How long the same load runs on the idle server before the cold rebuild. */
  readonly idleSeconds: number;
  readonly targetFeedBytes: number;
  /**
   * How long a cold build of this N takes, if known (the server phase's first build): the first
   * build here may come from a kept cache, and the cold rebuild must still be waited for.
   */
  readonly coldBuildMs?: number;
}

export interface RebuildFigures {
  readonly n: number;
  readonly archives: boolean;
  readonly cron: string;
  /** The server's first build: cold, or over the feeds and state the server phase left (sequential runs). */
  bootBuildMs: number | null;
  readonly noChange: { samplesMs: number[]; written: number[]; medianMs: number | null };
  readonly oneFileChange: { samplesMs: number[]; written: number[]; files: string[]; medianMs: number | null };
  readonly coldRebuild: {
    /** durationMs of the scheduled build after every file changed. */
    rebuildMs: number | null;
    p99Ms: number | null;
    /** The same low load on the same server just before, while its scheduled builds find no change. */
    idleP99Ms: number | null;
    idleLoad: LoadResult | null;
    load: LoadResult | null;
    feed: string | null;
    /** Articles revised in the swapped-in copy, and how long preparing it took (not measured load). */
    revisedFiles: number;
    prepareMs: number | null;
    /** From the build's log line: files written, and files parsed if the service reports it. */
    written: number | null;
    filesParsed: number | null;
  };
  readonly notes: string[];
}

/** Every 2 seconds (issue 5), and the period the tick arithmetic below relies on. */
const REBUILD_CRON = '*/2 * * * * *';
const TICK_MS = 2000;

export async function measureRebuilds(options: RebuildOptions, budget: Budget): Promise<RebuildFigures> {
  const figures: RebuildFigures = {
    n: options.n,
    archives: options.archives,
    cron: REBUILD_CRON,
    bootBuildMs: null,
    noChange: { samplesMs: [], written: [], medianMs: null },
    oneFileChange: { samplesMs: [], written: [], files: [], medianMs: null },
    coldRebuild: { rebuildMs: null, p99Ms: null, idleP99Ms: null, idleLoad: null, load: null, feed: null, revisedFiles: 0, prepareMs: null, written: null, filesParsed: null },
    notes: [],
  };
  let service: RunningService | undefined;
  try {
    budget.log(`rebuilds: starting the server at N=${options.n} (BUILD_CRON='${REBUILD_CRON}', FEED_ARCHIVES=${options.archives})`);
    service = await startPhaseService('service-rebuilds', REBUILD_CRON, options, budget);
    const { server } = service;
    figures.bootBuildMs = service.bootBuildMs;
    // A scheduled build may take as long as the boot build (it is one, before caches help).
    const buildWait = () => within(budget, Math.max(60_000, 3 * Math.max(service!.bootBuildMs, options.coldBuildMs ?? 0) + 10_000));
    budget.log(`rebuilds: first build ${Math.round(service.bootBuildMs)} ms`);

    // No change: skip the first scheduled builds (they may still warm caches), then take samples.
    // Each edit below is made right after a build's line arrived: the next build starts at the
    // next tick, so it is the first to see the edit.
    let since = server.lines.length;
    let sample = 0;
    while (sample < options.rebuildWarmups + options.noChangeSamples) {
      const { line, index } = await nextBuild(server, since, buildWait());
      since = index + 1;
      if (sample++ < options.rebuildWarmups) continue;
      figures.noChange.samplesMs.push(durationOf(line));
      figures.noChange.written.push(writtenOf(line));
      if (writtenOf(line) > 0) figures.notes.push(`no-change rebuild ${figures.noChange.samplesMs.length} wrote ${writtenOf(line)} file(s)`);
    }
    figures.noChange.medianMs = median(figures.noChange.samplesMs);
    budget.log(`rebuilds: no change ${msList(figures.noChange.samplesMs)} ms`);

    // One file changed: edit one recent article (so the all-topics feed changes too); measure the
    // first build that finishes afterwards and writes something (it saw the edit).
    for (let edit = 0; edit < options.oneFileSamples; edit++) {
      const file = options.manifest.recentPublished[edit % options.manifest.recentPublished.length] ?? options.manifest.newestPublished;
      // Taken before the edit: the line of a build that saw it may be handled before this
      // function resumes after the rename.
      const editedAt = Date.now();
      await reviseArticle(path.join(options.contentDir, file), edit + 1);
      const found = await nextBuild(server, since, buildWait(), (line) => line.receivedAt >= editedAt && writtenOf(line) > 0);
      since = found.index + 1;
      figures.oneFileChange.samplesMs.push(durationOf(found.line));
      figures.oneFileChange.written.push(writtenOf(found.line));
      figures.oneFileChange.files.push(file);
    }
    figures.oneFileChange.medianMs = median(figures.oneFileChange.samplesMs);
    budget.log(`rebuilds: one file changed ${msList(figures.oneFileChange.samplesMs)} ms`);

    // Cold rebuild in the running server: every file changed at once. CONTENT_DIR is a symbolic
    // link; a revised copy of every article (new bytes, sizes and mtimes, so no cached parse or
    // rendering is valid) is prepared beside it, then swapped in with one rename right after a
    // build ended. A low load runs on one feed from just before the next tick until the build
    // that picked up the new content (it writes files) has finished.
    const feed = await chooseTopicFeed(options.feedsDir, options.targetFeedBytes);
    figures.coldRebuild.feed = feed.name;
    // Idle first, on this server with this load: the scheduled builds keep running and find no
    // change. Measured once the server is quiet (the collection after the last edit is over).
    await waitUntilQuiet(service.server.pid, { timeoutMs: within(budget, 30_000) });
    const idle = await runLoad({ url: service.url(`/feeds/${feed.name}`), connections: options.p99Connections, overallRate: options.p99Rate, durationSeconds: options.idleSeconds, expectStatus: 200 });
    figures.notes.push(...loadProblems('idle before the cold rebuild', idle));
    figures.coldRebuild.idleP99Ms = idle.latencyP99Ms;
    figures.coldRebuild.idleLoad = idle;
    budget.log(`rebuilds: idle p99 ${idle.latencyP99Ms} ms before the cold rebuild`);
    const current = await realpath(options.contentDir);
    const fresh = path.join(path.dirname(options.contentDir), 'content-cold');
    const prepared = Date.now();
    figures.coldRebuild.revisedFiles = await reviseAll(current, fresh, 'cold');
    figures.coldRebuild.prepareMs = Date.now() - prepared;
    const aligned = await nextBuild(server, server.lines.length, buildWait());
    const swapStartedAt = Date.now();
    await swapSymlink(options.contentDir, fresh);
    const swappedAt = Date.now();
    const tick = Math.floor(aligned.line.receivedAt / TICK_MS) * TICK_MS + TICK_MS;
    if (swappedAt > tick) figures.notes.push('cold rebuild: the content was swapped after the next tick had passed; the load window may include one more build');
    await sleep(Math.max(tick, swappedAt) - 250 - Date.now());
    const load = startLoad({
      url: service.url(`/feeds/${feed.name}`),
      connections: options.p99Connections,
      overallRate: options.p99Rate,
      durationSeconds: Math.ceil(within(budget, 30 * 60_000) / 1000),
      expectStatus: 200,
    });
    let rebuilt: LogLine;
    try {
      ({ line: rebuilt } = await nextBuild(server, aligned.index + 1, buildWait(), (line) => line.receivedAt >= swapStartedAt && writtenOf(line) > 0));
    } finally {
      load.stop();
    }
    const result = await load.done;
    figures.notes.push(...loadProblems('load during the cold rebuild', result));
    figures.coldRebuild.rebuildMs = durationOf(rebuilt);
    figures.coldRebuild.written = writtenOf(rebuilt);
    if (typeof rebuilt.filesParsed === 'number') figures.coldRebuild.filesParsed = rebuilt.filesParsed;
    figures.coldRebuild.p99Ms = result.latencyP99Ms;
    figures.coldRebuild.load = result;
    budget.log(`rebuilds: cold rebuild ${Math.round(figures.coldRebuild.rebuildMs ?? Number.NaN)} ms, p99 ${figures.coldRebuild.p99Ms} ms under load`);
  } catch (error) {
    figures.notes.push(`rebuilds: stopped early: ${describe(error)}`, ...lastLogLines(service?.server));
    budget.log(`rebuilds: stopped early: ${describe(error)}`);
  } finally {
    await service?.server.stop();
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------
// Serving

export type Scenario = 'ok200' | 'notModified' | 'gzip';
export type Target = 'ours' | 'express' | 'http';
export const SCENARIOS: readonly Scenario[] = ['ok200', 'notModified', 'gzip'];
export const TARGETS: readonly Target[] = ['ours', 'express', 'http'];

export interface ServingOptions extends PhaseFolders {
  readonly workDir: string;
  readonly archives: boolean;
  readonly targetFeedBytes: number;
  readonly connections: number;
  readonly pipelining: number;
  readonly loadSeconds: number;
  /** The load of each scenario is split into this many rounds over the three targets in turn. */
  readonly rounds: number;
  readonly warmupSeconds: number;
  readonly idleConnections: number;
  readonly idleRate: number;
  readonly idleSeconds: number;
  /** Whether to wait for the server's build cache save before measuring (not in quick mode: it comes 30 s after the build). */
  readonly afterCacheSave: boolean;
}

export interface ServingFigures {
  readonly n: number;
  readonly archives: boolean;
  feed: { name: string; path: string; bytes: number; gzipBytes: number } | null;
  readonly load: { connections: number; pipelining: number; seconds: number; rounds: number; warmupSeconds: number };
  readonly scenarios: Record<Scenario, Record<Target, LoadResult | null>>;
  /** Each round's requests per second, in order (the spread behind `scenarios`' figure). */
  readonly rounds: Record<Scenario, Record<Target, number[]>>;
  /**
   * CPU time (user and system, every thread of the process) per response over the rounds, in µs:
   * on the one CPU the servers share, the work behind a figure, steadier than the figure itself.
   */
  readonly cpuMicrosPerResponse: Record<Scenario, Record<Target, number | null>>;
  idle: LoadResult | null;
  /** Whether the servers ran on CPU 0 and the load generator on the others. */
  pinned: boolean;
  /** How long after its boot build (with afterCacheSave, after its build cache save) the server became quiet, before anything was measured. */
  quietAfterMs: number | null;
  readonly notes: string[];
}

const HOP_BY_HOP = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

export async function measureServing(options: ServingOptions, budget: Budget): Promise<ServingFigures> {
  const empty = () => ({ ours: null, express: null, http: null });
  const noRounds = () => ({ ours: [], express: [], http: [] });
  const figures: ServingFigures = {
    n: options.n,
    archives: options.archives,
    feed: null,
    load: { connections: options.connections, pipelining: options.pipelining, seconds: options.loadSeconds, rounds: options.rounds, warmupSeconds: options.warmupSeconds },
    scenarios: { ok200: empty(), notModified: empty(), gzip: empty() },
    rounds: { ok200: noRounds(), notModified: noRounds(), gzip: noRounds() },
    cpuMicrosPerResponse: { ok200: empty(), notModified: empty(), gzip: empty() },
    idle: null,
    pinned: false,
    quietAfterMs: null,
    notes: [],
  };
  const started: ServerProcess[] = [];
  const allCpus = `0-${os.cpus().length - 1}`;
  const unpin = () => {
    if (!figures.pinned) return;
    for (const server of started) pinToCpus(server.pid, allCpus);
    pinToCpus(process.pid, allCpus);
  };
  try {
    budget.log(`serving: starting the server at N=${options.n} (no scheduled build during the phase)`);
    const service = await startPhaseService('service-serving', NEVER_CRON, options, budget);
    started.push(service.server);
    // Steady state: the boot build is over, and so are the build cache's save (30 s after a build
    // that changed it; quiet before it, the server did it during the first rounds, and the
    // collections after it held the thread that answers for up to 0.8 s on the one CPU) and the
    // garbage collection after both.
    if (options.afterCacheSave) {
      try {
        await service.server.waitFor(isCacheSaved, { since: 0, timeoutMs: within(budget, 60_000), what: '"build cache saved"' });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        figures.notes.push('serving: no "build cache saved" within 60 s of the boot build; measured without waiting for it');
      }
    }
    const quietAfterMs = await waitUntilQuiet(service.server.pid, { timeoutMs: within(budget, 30_000) });
    figures.quietAfterMs = quietAfterMs ?? null;
    if (quietAfterMs === undefined) figures.notes.push('serving: the server did not become quiet (under 5 % of a CPU for a second) within 30 s of its boot build');
    await sleep(Math.min(SETTLE_AFTER_QUIET_MS, Math.max(0, budget.deadline - Date.now())));
    const chosen = await chooseTopicFeed(options.feedsDir, options.targetFeedBytes);
    const feedPath = `/feeds/${chosen.name}`;

    // Capture exactly what the service sends, for the floors to send the same.
    const identity = await rawGet(service.url(feedPath));
    const gzip = await rawGet(service.url(feedPath), { 'accept-encoding': 'gzip' });
    const etag = identity.headers.etag;
    if (identity.status !== 200 || etag === undefined) throw new Error(`GET ${feedPath}: status ${identity.status}, ETag ${etag}`);
    if (gzip.headers['content-encoding'] !== 'gzip') throw new Error(`GET ${feedPath} with Accept-Encoding: gzip was not gzip-encoded`);
    const notModified = await rawGet(service.url(feedPath), { 'if-none-match': etag });
    if (notModified.status !== 304) throw new Error(`GET ${feedPath} with If-None-Match: status ${notModified.status}, expected 304`);
    figures.feed = { name: chosen.name, path: feedPath, bytes: identity.body.length, gzipBytes: gzip.body.length };
    const keep = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    const saved: FloorResponses = {
      identity: { status: 200, headers: keep(identity.headers), body: identity.body.toString('base64') },
      gzip: { status: 200, headers: keep(gzip.headers), body: gzip.body.toString('base64') },
      notModified: { status: 304, headers: keep(notModified.headers), body: '' },
      etags: [etag, ...(gzip.headers.etag ? [gzip.headers.etag] : [])],
    };
    await mkdir(options.workDir, { recursive: true });
    const responsesFile = path.join(options.workDir, 'floor-responses.json');
    await writeFile(responsesFile, JSON.stringify(saved));
    const floorWait = within(budget, 60_000);
    const [express, http] = await Promise.all([startFloor('express', responsesFile, floorWait), startFloor('http', responsesFile, floorWait)]);
    started.push(express.server, http.server);
    const urls: Record<Target, string> = { ours: service.url(feedPath), express: express.url(feedPath), http: http.url(feedPath) };
    const pids: Record<Target, number> = { ours: service.server.pid, express: express.server.pid, http: http.server.pid };
    budget.log(`serving: ${chosen.name}, ${identity.body.length} bytes (gzip ${gzip.body.length})`);
    // The three servers on CPU 0, autocannon (this process) on the other CPUs: load generator and
    // server no longer trade cores at the scheduler's whim, which moved the ratios by ±10 %.
    const cpus = os.cpus().length;
    figures.pinned = started.every((server) => pinToCpus(server.pid, '0')) && pinToCpus(process.pid, cpus > 2 ? `1-${cpus - 1}` : '1');
    if (!figures.pinned) figures.notes.push('serving: servers and load generator not pinned to separate CPUs (taskset or a second CPU missing)');

    const requestHeaders: Record<Scenario, Record<string, string>> = {
      ok200: {},
      notModified: { 'if-none-match': etag },
      gzip: { 'accept-encoding': 'gzip' },
    };
    const expected: Record<Scenario, number> = { ok200: 200, notModified: 304, gzip: 200 };
    const buildsBefore = service.server.lines.filter(isScheduledBuild).length;
    // Each scenario's time is split into rounds that visit the three targets in turn, so a
    // machine that gets busier or quieter during the phase moves all three alike.
    const rounds = Math.max(1, options.rounds);
    for (const scenario of SCENARIOS) {
      const load = (target: Target) => ({ url: urls[target], headers: requestHeaders[scenario], connections: options.connections, pipelining: options.pipelining, expectStatus: expected[scenario] });
      const runs: Record<Target, LoadResult[]> = { ours: [], express: [], http: [] };
      const cpu: Record<Target, { cpuMs: number | undefined; responses: number }[]> = { ours: [], express: [], http: [] };
      for (const target of TARGETS) {
        within(budget, 1);
        if (options.warmupSeconds > 0) await runLoad({ ...load(target), durationSeconds: options.warmupSeconds });
      }
      for (let round = 0; round < rounds; round++) {
        for (const target of TARGETS) {
          within(budget, 1);
          const cpuBefore = processCpuMs(pids[target]);
          const run = await runLoad({ ...load(target), durationSeconds: options.loadSeconds / rounds });
          const cpuAfter = processCpuMs(pids[target]);
          runs[target].push(run);
          cpu[target].push({ cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore, responses: run.requests });
        }
      }
      for (const target of TARGETS) {
        const result = combineLoads(runs[target]);
        figures.scenarios[scenario][target] = result;
        figures.rounds[scenario][target] = runs[target].map((run) => run.requestsPerSecond);
        figures.cpuMicrosPerResponse[scenario][target] = cpuMicrosPerResponse(cpu[target]);
        figures.notes.push(...loadProblems(`${scenario} ${target}`, result));
        if (scenario === 'ok200' && result.bytesPerResponse < identity.body.length) figures.notes.push(`ok200 ${target}: responses smaller than the feed`);
        if (scenario === 'gzip' && result.bytesPerResponse >= identity.body.length) figures.notes.push(`gzip ${target}: responses not compressed`);
        const cpuPerResponse = figures.cpuMicrosPerResponse[scenario][target];
        budget.log(`serving: ${scenario} ${target}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.latencyP99Ms} ms${cpuPerResponse === null ? '' : `, ${Math.round(cpuPerResponse)} µs of CPU a response`}`);
      }
    }
    // The idle p99 is compared with the p99 during a rebuild, measured unpinned: unpin first.
    unpin();
    within(budget, 1);
    figures.idle = await runLoad({ url: urls.ours, connections: options.idleConnections, overallRate: options.idleRate, durationSeconds: options.idleSeconds, expectStatus: 200 });
    figures.notes.push(...loadProblems('idle', figures.idle));
    budget.log(`serving: idle p99 ${figures.idle.latencyP99Ms} ms (${options.idleConnections} connections)`);
    if (service.server.lines.filter(isScheduledBuild).length > buildsBefore) figures.notes.push('serving: a scheduled build ran during the measurements');
  } catch (error) {
    figures.notes.push(`serving: stopped early: ${describe(error)}`, ...lastLogLines(started[0]));
    budget.log(`serving: stopped early: ${describe(error)}`);
  } finally {
    unpin();
    for (const server of started.reverse()) await server.stop();
  }
  return figures;
}
