/**
 * The server as users run it (`npm start`, the configuration as shipped: archives on, the content
 * watcher on, the default schedule) at the largest N, through one life:
 *
 * 1. first start on an empty feeds folder: RSS once its first build is over;
 * 2. freshness: new article files, each timed from its write until its topic feed lists it;
 * 3. rebuilds: one article edited at a time, each built by the watcher: their durationMs (the
 *    one-changed-file figure) and RSS after each (steady over many rebuilds?);
 * 4. restart with that build on disk: a second `npm start`, its topic feed polled from the moment
 *    of spawn: time to the first 200, and every answer that was not a 200.
 *
 * Every wait is bounded by the phase's deadline; what could not be measured is null with a note.
 */
import path from 'node:path';
import { median } from './cold-builds.js';
import { TOPICS, type CorpusManifest } from './corpus.js';
import { freePort, SETTLE_AFTER_QUIET_MS, sleep, waitUntilQuiet, type LogLine, type ServerProcess } from './processes.js';
import { ms, msList } from './report.js';
import { within, type Budget, type PhaseFolders } from './server-phases.js';
import { isBuildFailed, isBuildFinished, isWatcherBuild, rawGet, reviseArticle, serverRssKb, spawnService, startService, whenListening, writeNewArticle, type RunningService } from './service.js';

export interface ServerLifeOptions extends PhaseFolders {
  /** A private copy of the corpus: this phase edits files and adds new ones. */
  readonly contentDir: string;
  readonly manifest: CorpusManifest;
  /** Rebuilds, each after one article was edited. */
  readonly rebuilds: number;
  /** The rebuild after which RSS is first sampled (the last sample is after `rebuilds`). */
  readonly firstSampleAfter: number;
  readonly freshnessSamples: number;
  /** How often a feed is polled (freshness, restart). */
  readonly pollMs: number;
  /** BUILD_CRON; unset (the bench's runs): the service's default. */
  readonly cron?: string;
}

export interface ServerLifeFigures {
  readonly n: number;
  readonly command: string;
  /** The first build in the server (cold: empty feeds and state folders). */
  readonly firstBuild: {
    durationMs: number | null;
    /**
     * RSS right after its "build finished" line, once the server was quiet, and what it holds
     * SETTLE_AFTER_QUIET_MS after that (what the target uses): the build thread gives back what its first build
     * grew its heap by in three collections, 2 s after the build and the last two about 8 s after it (src/build/heap-release.ts).
     */
    rssKbAtFinish: number | null;
    rssKbAtQuiet: number | null;
    rssKb: number | null;
    quietAfterMs: number | null;
    rssSource: 'healthz' | 'proc' | null;
  };
  /**
   * durationMs of the builds after one article was edited (each a real change): the watcher's, or
   * (`bySchedule`) a tick of the default schedule that came first and took the change; builds that
   * found nothing to write (the watcher's after such a tick) are counted in `emptyBuilds`.
   */
  readonly watcherRebuilds: { samplesMs: number[]; written: number[]; medianMs: number | null; maxMs: number | null; bySchedule: number; emptyBuilds: number };
  readonly freshness: { feed: string | null; samplesMs: number[]; buildMs: number[]; written: number[]; medianMs: number | null; maxMs: number | null };
  readonly restart: RestartFigures;
  readonly notes: string[];
}

export interface RestartFigures {
  feed: string | null;
  /** From spawn: the "serving feeds" line, the first 200, the end of the restart's first build. */
  listeningMs: number | null;
  firstOkMs: number | null;
  buildFinishedMs: number | null;
  /** durationMs of the restart's first build (over the state the previous process left). */
  buildMs: number | null;
  buildWritten: number | null;
  /** What "serving feeds" said about the build it found on disk. */
  servingPreviousBuild: unknown;
  polls: number;
  /** Connection refused before the server listened (not counted as answers). */
  refused: number;
  /** Answers that were not 200 (status or a failed request after it listened), by status or error code. */
  non200: number;
  non200Kinds: Record<string, number>;
  /** Polls after the first 200, until the restart's first build had finished. */
  pollsAfterFirstOk: number;
}

/** RSS over many rebuilds (the `memory` figures of the results, a shape older runs share). */
export interface MemoryFigures {
  readonly n: number;
  readonly archives: boolean;
  /** BUILD_CRON, or '(default)'. */
  readonly cron: string;
  /** What started each rebuild. */
  readonly trigger?: string;
  readonly rebuildsPlanned: number;
  rebuildsDone: number;
  readonly firstSampleAfter: number;
  /** Where RSS was read: /healthz (if it reports memory) or /proc/<pid>/status VmRSS. */
  source: 'healthz' | 'proc' | null;
  rssKbFirst: number | null;
  rssKbLast: number | null;
  /** rssKbLast / rssKbFirst (below 1.10 means less than 10 % growth). */
  ratio: number | null;
  /**
   * The largest RSS after each of the first `firstSampleAfter` rebuilds and after each of the last
   * as many: RSS rises and falls over a few rebuilds as V8 collects, so two single samples can
   * land on a peak and a trough; these show the trend.
   */
  peakKbFirst?: number | null;
  peakKbLast?: number | null;
  /** RSS (KB) after each rebuild, in order. */
  readonly series: number[];
  readonly durationsMs: number[];
  readonly notes: string[];
}

/** The corpus's most common topic: its RSS feed is polled for new articles and after the restart. */
export const POLLED_TOPIC = { name: TOPICS[0]!, feed: 'ai.xml' };

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
const durationOf = (line: LogLine) => (typeof line.durationMs === 'number' ? line.durationMs : null);
const writtenOf = (line: LogLine) => (typeof line.written === 'number' ? line.written : null);

export async function measureServerLife(options: ServerLifeOptions, budget: Budget): Promise<{ life: ServerLifeFigures; memory: MemoryFigures }> {
  const life: ServerLifeFigures = {
    n: options.n,
    command: 'npm start (defaults: archives on, content watcher on, default schedule)',
    firstBuild: { durationMs: null, rssKbAtFinish: null, rssKbAtQuiet: null, rssKb: null, quietAfterMs: null, rssSource: null },
    watcherRebuilds: { samplesMs: [], written: [], medianMs: null, maxMs: null, bySchedule: 0, emptyBuilds: 0 },
    freshness: { feed: null, samplesMs: [], buildMs: [], written: [], medianMs: null, maxMs: null },
    restart: emptyRestart(),
    notes: [],
  };
  const memory: MemoryFigures = {
    n: options.n,
    archives: true,
    cron: options.cron ?? '(default)',
    trigger: 'one article edited, then the content watcher\'s build',
    rebuildsPlanned: options.rebuilds,
    rebuildsDone: 0,
    firstSampleAfter: options.firstSampleAfter,
    source: null,
    rssKbFirst: null,
    rssKbLast: null,
    ratio: null,
    peakKbFirst: null,
    peakKbLast: null,
    series: [],
    durationsMs: [],
    notes: [],
  };
  const settings = { contentDir: options.contentDir, feedsDir: options.feedsDir, stateDir: options.stateDir, maxItems: options.maxItems, baseUrl: options.baseUrl, serviceRoot: options.serviceRoot, cron: options.cron };
  const feedPath = `/feeds/${POLLED_TOPIC.feed}`;
  let service: RunningService | undefined;
  // Kept for the restart: what is left of the budget after the first build, a share of it.
  let restartReserveMs = 0;
  try {
    budget.log(`server: npm start at N=${options.n} on empty feeds and state folders (defaults)`);
    service = await startService({ name: 'service-life', ...settings, bootTimeoutMs: within(budget, 30 * 60_000) });
    const { server } = service;
    const first = server.lines.find(isBuildFinished)!;
    life.firstBuild.durationMs = durationOf(first);
    if (first.reason !== undefined && first.reason !== 'start') life.notes.push(`server: the first build's reason was ${JSON.stringify(first.reason)}, not "start"`);
    const atFinish = await serverRssKb(service);
    life.firstBuild.rssKbAtFinish = atFinish.rssKb;
    // What the server holds once the collection after its build is over.
    const quiet = await waitUntilQuiet(server.pid, { timeoutMs: within(budget, 30_000) });
    life.firstBuild.quietAfterMs = quiet ?? null;
    if (quiet === undefined) life.notes.push('server: not quiet (under 5 % of a CPU for a second) within 30 s of its first build; RSS read then');
    const atQuiet = await serverRssKb(service);
    life.firstBuild.rssKbAtQuiet = atQuiet.rssKb;
    await sleep(Math.min(SETTLE_AFTER_QUIET_MS, Math.max(0, budget.deadline - Date.now())));
    const held = await serverRssKb(service);
    life.firstBuild.rssKb = held.rssKb;
    life.firstBuild.rssSource = held.source;
    memory.source = held.source;
    budget.log(
      `server: first build ${ms(life.firstBuild.durationMs)}; RSS ${Math.round(atFinish.rssKb / 1024)} MB at its end, ${Math.round(atQuiet.rssKb / 1024)} MB quiet, ${Math.round(held.rssKb / 1024)} MB ${SETTLE_AFTER_QUIET_MS / 1000} s later`,
    );
    restartReserveMs = Math.max(0, Math.min((budget.deadline - Date.now()) / 3, 60_000 + 2 * (life.firstBuild.durationMs ?? 0)));
    const beforeRestart: Budget = { ...budget, deadline: budget.deadline - restartReserveMs };

    // Freshness: a new article in the polled topic, dated now; polled until its feed lists it.
    try {
      const url = service.url(feedPath);
      if ((await rawGet(url)).status !== 200) throw new Error(`GET ${feedPath} did not answer 200 after the first build`);
      life.freshness.feed = feedPath;
      const stamp = Date.now().toString(36);
      for (let sample = 1; sample <= options.freshnessSamples; sample++) {
        const title = `Bench freshness sample ${sample} ${stamp}`;
        const since = server.lines.length;
        const started = performance.now();
        await writeNewArticle(options.contentDir, { id: `${stamp}-${sample}`, title, topic: POLLED_TOPIC.name, date: new Date(Date.now() - 1000) });
        const servedAfterMs = await pollUntil(url, (body) => body.includes(title), { everyMs: options.pollMs, timeoutMs: within(beforeRestart, 60_000) });
        const elapsed = Math.round(performance.now() - started);
        life.freshness.samplesMs.push(elapsed);
        if (servedAfterMs === undefined) throw new Error(`sample ${sample}: not in ${feedPath} within the time allowed`);
        const build = await changeBuild(server, since, within(beforeRestart, 30_000));
        life.freshness.buildMs.push(durationOf(build) ?? Number.NaN);
        life.freshness.written.push(writtenOf(build) ?? Number.NaN);
      }
      budget.log(`server: new article served after ${msList(life.freshness.samplesMs)} ms`);
    } catch (error) {
      life.notes.push(`freshness: stopped after ${life.freshness.samplesMs.length} sample(s): ${describe(error)}`);
    }
    const fresh = life.freshness.samplesMs;
    // A sample that never appeared counts as its whole wait, so the max cannot look better than it was.
    life.freshness.medianMs = median(fresh);
    life.freshness.maxMs = fresh.length ? Math.max(...fresh) : null;

    // Rebuilds: one recent article edited at a time (so the all-topics feed changes too), each
    // built by the watcher; RSS after each.
    const files = options.manifest.recentPublished.length ? options.manifest.recentPublished : [options.manifest.newestPublished];
    const rebuildsFrom = server.lines.length;
    try {
      for (let rebuild = 1; rebuild <= options.rebuilds; rebuild++) {
        const file = files[(rebuild - 1) % files.length]!;
        const since = server.lines.length;
        await reviseArticle(path.join(options.contentDir, file), `edit ${rebuild}`);
        const line = await changeBuild(server, since, within(beforeRestart, Math.max(60_000, 3 * (life.firstBuild.durationMs ?? 0) + 10_000)));
        if (!isWatcherBuild(line)) life.watcherRebuilds.bySchedule++;
        const duration = durationOf(line) ?? Number.NaN;
        life.watcherRebuilds.samplesMs.push(duration);
        life.watcherRebuilds.written.push(writtenOf(line) ?? Number.NaN);
        const { rssKb } = await serverRssKb(service);
        memory.series.push(rssKb);
        memory.durationsMs.push(duration);
        memory.rebuildsDone = rebuild;
        if (rebuild === options.firstSampleAfter) memory.rssKbFirst = rssKb;
        if (rebuild === options.rebuilds) memory.rssKbLast = rssKb;
      }
    } catch (error) {
      memory.notes.push(`memory: stopped after ${memory.rebuildsDone} rebuild(s): ${describe(error)}`);
    }
    const samples = life.watcherRebuilds.samplesMs;
    life.watcherRebuilds.medianMs = median(samples);
    life.watcherRebuilds.maxMs = samples.length ? Math.max(...samples) : null;
    if (memory.rssKbFirst !== null && memory.rssKbLast !== null) memory.ratio = memory.rssKbLast / memory.rssKbFirst;
    if (memory.rebuildsDone === options.rebuilds) {
      memory.peakKbFirst = Math.max(...memory.series.slice(0, options.firstSampleAfter));
      memory.peakKbLast = Math.max(...memory.series.slice(-options.firstSampleAfter));
    }
    life.watcherRebuilds.emptyBuilds = server.lines.slice(rebuildsFrom).filter((line) => isBuildFinished(line) && writtenOf(line) === 0).length;
    if (life.watcherRebuilds.bySchedule) life.notes.push(`server: ${life.watcherRebuilds.bySchedule} edit(s) built by a tick of the default schedule that came before the watcher's build (counted: the same one-file change)`);
    if (life.watcherRebuilds.emptyBuilds) life.notes.push(`server: ${life.watcherRebuilds.emptyBuilds} build(s) during the rebuilds wrote nothing (not counted)`);
    const scheduled = server.lines.filter((line) => isBuildFinished(line) && line.reason === 'schedule').length;
    if (scheduled) life.notes.push(`server: ${scheduled} build(s) of the default schedule ran during the phase`);
    budget.log(
      `server: ${memory.rebuildsDone} watcher rebuilds, median ${ms(life.watcherRebuilds.medianMs)}; RSS ${memory.rssKbFirst} KB after rebuild ${options.firstSampleAfter}, ${memory.rssKbLast} KB after ${options.rebuilds}`,
    );
  } catch (error) {
    life.notes.push(`server: stopped early: ${describe(error)}`);
    budget.log(`server: stopped early: ${describe(error)}`);
  } finally {
    await service?.server.stop(15_000);
  }

  if (life.firstBuild.durationMs !== null) {
    try {
      Object.assign(life.restart, await measureRestart({ ...settings, feedPath, pollMs: options.pollMs, firstBuildMs: life.firstBuild.durationMs }, budget));
      budget.log(`restart: first 200 after ${ms(life.restart.firstOkMs)}, ${life.restart.non200} answer(s) not 200, ${life.restart.refused} refused before listening`);
    } catch (error) {
      life.notes.push(`restart: ${describe(error)}`);
      budget.log(`restart: ${describe(error)}`);
    }
  }
  return { life, memory };
}

function emptyRestart(): RestartFigures {
  return { feed: null, listeningMs: null, firstOkMs: null, buildFinishedMs: null, buildMs: null, buildWritten: null, servingPreviousBuild: null, polls: 0, refused: 0, non200: 0, non200Kinds: {}, pollsAfterFirstOk: 0 };
}

/**
 * GETs `url` every `everyMs` (one request at a time) until `found(body)` holds for a 200; returns
 * the ms that took, or undefined after `timeoutMs`.
 */
async function pollUntil(url: string, found: (body: string) => boolean, { everyMs, timeoutMs }: { everyMs: number; timeoutMs: number }): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const sent = performance.now();
    try {
      const response = await rawGet(url, {}, 5000);
      if (response.status === 200 && found(response.body.toString('utf8'))) return performance.now() - started;
    } catch {
      // Counted as not there yet.
    }
    await sleep(everyMs - (performance.now() - sent));
  }
  return undefined;
}

type RestartSettings = Pick<ServerLifeOptions, 'contentDir' | 'feedsDir' | 'stateDir' | 'maxItems' | 'baseUrl' | 'serviceRoot' | 'pollMs'> & { feedPath: string; firstBuildMs: number };

/**
 * A second `npm start` over the feeds and state folders the first left, on a port chosen
 * beforehand so its feed can be polled from the moment of spawn: every `pollMs`, one request at a
 * time, until the first 200 and then until the restart's own first build has finished.
 */
async function measureRestart(settings: RestartSettings, budget: Budget): Promise<RestartFigures> {
  const figures = emptyRestart();
  figures.feed = settings.feedPath;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${settings.feedPath}`;
  budget.log(`restart: npm start again over the build on disk, polling ${settings.feedPath} every ${settings.pollMs} ms`);
  const spawnedAt = Date.now();
  const server = spawnService({ name: 'service-restart', ...settings, port, bootTimeoutMs: 0 });
  try {
    const timeoutMs = within(budget, Math.max(120_000, 3 * settings.firstBuildMs + 30_000));
    const giveUpAt = Date.now() + timeoutMs;
    const listening = whenListening(server, timeoutMs).then(({ line }) => {
      figures.listeningMs = line.receivedAt - spawnedAt;
      figures.servingPreviousBuild = line.servingPreviousBuild ?? null;
    });
    listening.catch(() => {});
    let finished: LogLine | undefined;
    while (Date.now() < giveUpAt && !server.exited) {
      finished ??= server.lines.find((line) => isBuildFinished(line) || isBuildFailed(line));
      if (finished && figures.firstOkMs !== null) break;
      const sent = performance.now();
      const sentAt = Date.now();
      const answer = await pollOnce(url);
      figures.polls++;
      if (figures.firstOkMs !== null) figures.pollsAfterFirstOk++;
      // Refused while nothing listened yet (the request went out before "serving feeds" came).
      if (answer === 'refused' && (figures.listeningMs === null || sentAt <= spawnedAt + figures.listeningMs)) figures.refused++;
      else if (answer === 200) figures.firstOkMs ??= Date.now() - spawnedAt;
      else {
        figures.non200++;
        figures.non200Kinds[String(answer)] = (figures.non200Kinds[String(answer)] ?? 0) + 1;
      }
      await sleep(settings.pollMs - (performance.now() - sent));
    }
    await listening;
    if (!finished) throw new Error(`the restarted server's first build did not finish within ${Math.round(timeoutMs / 1000)} s`);
    if (!isBuildFinished(finished)) throw new Error(`the restarted server's first build failed: ${JSON.stringify(finished)}`);
    figures.buildFinishedMs = finished.receivedAt - spawnedAt;
    figures.buildMs = durationOf(finished);
    figures.buildWritten = writtenOf(finished);
  } finally {
    await server.stop(15_000);
  }
  return figures;
}

/**
 * The first build after log index `since` that took a change (it wrote files), whichever started
 * it: the watcher, or a tick of the schedule that came first (the watcher's build after it then
 * finds nothing). Throws on a failed build.
 */
export async function changeBuild(server: ServerProcess, since: number, timeoutMs: number): Promise<LogLine> {
  const line = await server.waitFor((candidate) => (isBuildFinished(candidate) && candidate.reason !== 'start' && (writtenOf(candidate) ?? 1) > 0) || isBuildFailed(candidate), {
    since,
    timeoutMs,
    what: 'a build that took the change',
  });
  if (!isBuildFinished(line)) throw new Error(`a build failed: ${JSON.stringify(line).slice(0, 400)}`);
  return line;
}

/** One GET: its status, 'refused' when nothing listens yet, or the error's code. */
async function pollOnce(url: string): Promise<number | string> {
  try {
    return (await rawGet(url, {}, 5000)).status;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ECONNREFUSED' ? 'refused' : (code ?? describe(error));
  }
}
