/**
 * Cold static builds: the BASELINE (bench/baseline.ts, run with node) and our `npm run
 * build:feeds`, run as users run it (`npm run build:feeds --silent` in the service's folder: npm,
 * a shell, the up-to-date check scripts/ensure-built.mjs, then node with the script's flags), each
 * in its own process tree, alternately (baseline, ours, …) so a noisy machine slows both alike.
 * Wall time is measured here from spawn to exit (node's start-up, npm's and the up-to-date check
 * included). Peak RSS is the largest `maxRSS` any node process of the tree reports at its exit
 * (bench/probe-rss.ts, preloaded through NODE_OPTIONS), npm's own left out.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { childEnv, freeDisk, isNpmItself, nodeArgs, NPM, npmScriptArgs, probeUrl, runCommand, runNode, type ChildRun } from './processes.js';
import type { Budget } from './server-phases.js';
import { copyTree, reviseArticle } from './service.js';

/**
 * `ours-archives` is the service as shipped (FEED_ARCHIVES left at its default, on); `ours-cached`
 * runs it again over the feeds and state folders of the `ours-archives` run just before, with
 * nothing changed; `ours-edited` once more after the newest article was edited (what a CI run
 * that keeps its cache does when an article came); `ours` sets FEED_ARCHIVES=false.
 */
export type BuildVariant = 'baseline' | 'ours-archives' | 'ours-cached' | 'ours-edited' | 'ours';

export const VARIANTS: readonly BuildVariant[] = ['baseline', 'ours-archives', 'ours-cached', 'ours-edited', 'ours'];

export const VARIANT_LABELS: Record<BuildVariant, string> = {
  baseline: 'baseline (gray-matter + feed, straightforward)',
  'ours-archives': 'ours, defaults (archives on)',
  'ours-cached': 'ours, defaults again, cache kept, no change',
  'ours-edited': 'ours, defaults again, cache kept, one article edited',
  ours: 'ours, FEED_ARCHIVES=false',
};

export interface ColdRun {
  readonly wallMs: number;
  readonly maxRssKb: number | null;
  /** npm's own peak RSS (not in maxRssKb); absent for the baseline. */
  readonly npmMaxRssKb?: number | null;
  /** The build's own time as the program prints it (the CLI's "… in N ms.", the baseline's durationMs). */
  readonly buildMs?: number | null;
  readonly ok: boolean;
  readonly error?: string;
}

export interface ColdBuildRow {
  readonly n: number;
  readonly variant: BuildVariant;
  readonly runs: ColdRun[];
  /** Median of the successful runs; null when none succeeded. */
  medianWallMs: number | null;
  medianMaxRssKb: number | null;
  medianBuildMs?: number | null;
  /** Why runs are missing, if they are. */
  note?: string;
}

export interface ColdBuildSettings {
  readonly maxItems: number;
  readonly baseUrl: string;
  /** The service's checkout (default: this repository). */
  readonly serviceRoot: string;
}

/**
 * One cold build of `variant` over `contentDir`, writing to `workDir`/feeds and `workDir`/state
 * (empty, except for `ours-cached` and `ours-edited`, which get the folder of the `ours-archives` run before them).
 * The caller removes the folder: deleting gigabytes right before a timed run slows its writes.
 */
export async function runColdBuild(variant: BuildVariant, contentDir: string, settings: ColdBuildSettings, timeoutMs: number, workDir: string): Promise<ColdRun> {
  const feedsDir = path.join(workDir, 'feeds');
  let run: ChildRun;
  if (variant === 'baseline') {
    run = await runNode(
      nodeArgs('bench/baseline.ts', ['--content', contentDir, '--out', feedsDir, '--max-items', String(settings.maxItems), '--base-url', settings.baseUrl], { probe: true }),
      { env: childEnv({}), timeoutMs },
    );
  } else {
    run = await runCommand(NPM, npmScriptArgs('build:feeds'), {
      cwd: settings.serviceRoot,
      env: childEnv({
        CONTENT_DIR: contentDir,
        FEEDS_DIR: feedsDir,
        STATE_DIR: path.join(workDir, 'state'),
        PUBLIC_BASE_URL: settings.baseUrl,
        FEED_MAX_ITEMS: String(settings.maxItems),
        LOG_LEVEL: 'silent',
        ...(variant === 'ours' ? { FEED_ARCHIVES: 'false' } : {}),
        NODE_OPTIONS: `--import=${probeUrl()}`,
      }),
      timeoutMs,
    });
  }
  const ok = !run.timedOut && run.code === 0;
  const error = run.timedOut
    ? `timed out after ${Math.round(timeoutMs / 1000)} s`
    : run.code !== 0
      ? `exit ${run.code ?? run.signal}: ${crashReason(run.stderr)}`
      : undefined;
  const npm = run.probes.filter(isNpmItself);
  return {
    wallMs: Math.round(run.wallMs),
    maxRssKb: run.maxRssKb ?? null,
    ...(variant === 'baseline' ? {} : { npmMaxRssKb: npm.length ? Math.max(...npm.map((probe) => probe.maxRssKb)) : null }),
    buildMs: buildDurationMs(variant, run.stdout),
    ok,
    ...(error ? { error } : {}),
  };
}

/**
 * Disk a default build (archives on) takes per article, feeds and state folders together, with
 * some room to spare (about 42 KB measured at 10 000 articles, in 4 KB blocks).
 */
export const DISK_BYTES_PER_ARTICLE = 50_000;

export interface ColdPhaseOptions {
  readonly sizes: readonly number[];
  /** Rounds per size: baseline, ours with defaults, the same again (cache kept), again after an edit, ours without archives. */
  readonly runs: number;
  readonly corpora: ReadonlyMap<number, { readonly dir: string; readonly manifest: { readonly newestPublished: string } }>;
  readonly settings: ColdBuildSettings;
  /**
   * A fresh folder for the runs' output, one sub-folder per run. Nothing is removed during the
   * phase (unless the disk runs short): the caller removes it all once the measurements are over.
   */
  readonly workRoot: string;
}

/** Every cold build of the bench, size by size, round by round; rows sorted by size and VARIANTS. */
export async function measureColdBuilds({ sizes, runs, corpora, settings, workRoot }: ColdPhaseOptions, budget: Budget): Promise<{ rows: ColdBuildRow[]; notes: string[] }> {
  const rows: ColdBuildRow[] = [];
  const notes: string[] = [];
  const row = (n: number, variant: BuildVariant) => {
    let found = rows.find((candidate) => candidate.n === n && candidate.variant === variant);
    if (!found) {
      found = { n, variant, runs: [], medianWallMs: null, medianMaxRssKb: null };
      rows.push(found);
    }
    return found;
  };
  const done: string[] = [];
  let folders = 0;
  await mkdir(workRoot, { recursive: true });
  const folder = async (n: number) => {
    // Room for one more default build; if short, the output of finished runs goes first.
    const need = Math.max(5 * 2 ** 30, n * DISK_BYTES_PER_ARTICLE);
    if ((await freeDisk(workRoot)).bytes < need && done.length) {
      notes.push(`cold builds: under ${Math.round(need / 2 ** 30)} GB free before a run at N=${n}: the output of ${done.length} finished run(s) was removed first (which may slow the next run's writes)`);
      for (const dir of done.splice(0)) await rm(dir, { recursive: true, force: true });
    }
    const dir = path.join(workRoot, `run-${++folders}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  const failed = new Set<BuildVariant>();
  const run = async (n: number, variant: BuildVariant, dir: string, contentDir = corpora.get(n)!.dir): Promise<boolean> => {
    const target = row(n, variant);
    const left = budget.deadline - Date.now();
    if (failed.has(variant)) {
      target.note = 'skipped: a smaller size timed out';
      return false;
    }
    if (left < 1000) {
      target.note = 'skipped: out of time';
      return false;
    }
    const result = await runColdBuild(variant, contentDir, settings, Math.min(20 * 60_000, left), dir);
    target.runs.push(result);
    if (!result.ok) {
      target.note = result.error;
      if (result.error?.startsWith('timed out')) failed.add(variant);
    }
    budget.log(`cold build N=${n} ${variant}: ${result.ok ? `${result.wallMs} ms, ${result.maxRssKb} KB peak RSS` : result.error}`);
    return result.ok;
  };
  for (const n of sizes) {
    // The runs with defaults read a copy of the corpus (hard links), whose newest article each
    // round edits (a new file in its place: the corpus itself stays as it is).
    const { dir: corpusDir, manifest } = corpora.get(n)!;
    const edited = path.join(workRoot, `content-${n}`);
    await copyTree(corpusDir, edited, Math.max(1, budget.deadline - Date.now()));
    for (let round = 0; round < runs; round++) {
      const baseline = await folder(n);
      await run(n, 'baseline', baseline);
      const defaults = await folder(n);
      if (await run(n, 'ours-archives', defaults, edited)) {
        if (await run(n, 'ours-cached', defaults, edited)) {
          await reviseArticle(path.join(edited, manifest.newestPublished), `cold round ${round + 1}`);
          await run(n, 'ours-edited', defaults, edited);
        } else row(n, 'ours-edited').note ??= 'skipped: the build it repeats failed';
      } else {
        row(n, 'ours-cached').note ??= 'skipped: the default build it repeats failed';
        row(n, 'ours-edited').note ??= 'skipped: the default build it repeats failed';
      }
      const noArchives = await folder(n);
      await run(n, 'ours', noArchives);
      done.push(baseline, defaults, noArchives);
    }
  }
  rows.sort((a, b) => a.n - b.n || VARIANTS.indexOf(a.variant) - VARIANTS.indexOf(b.variant));
  return { rows: rows.map(summarize), notes };
}

/**
 * The build's own duration from what it printed: the baseline's JSON line, the CLI's "Read … in
 * N ms." line (which says how many files it parsed when the cache knew the others).
 */
export function buildDurationMs(variant: BuildVariant, stdout: string): number | null {
  const match = variant === 'baseline' ? /"durationMs":(\d+)/.exec(stdout) : /^Read \d+ article file\(s\) from .* in (\d+) ms(?: \(\d+ parsed; [^)]*\))?\.$/m.exec(stdout);
  return match ? Number(match[1]) : null;
}

/**
 * Brings the service's dist/ up to date once, untimed, as a user's first `npm start` or `npm run
 * build:feeds` would (scripts/ensure-built.mjs): the timed runs then pay only the up-to-date check,
 * as a user's second build does. Returns a note when the checkout has no such script (an older
 * one: its npm scripts then compile as they always did, inside the timed runs).
 */
export async function ensureServiceBuilt(serviceRoot: string, timeoutMs: number): Promise<{ ms: number; note?: string }> {
  const script = path.join(serviceRoot, 'scripts', 'ensure-built.mjs');
  if (!existsSync(script)) return { ms: 0, note: `${serviceRoot} has no scripts/ensure-built.mjs: its npm scripts compile (or not) as they are written, inside the timed runs` };
  const run = await runNode([script], { cwd: serviceRoot, env: childEnv({}), timeoutMs });
  if (run.timedOut || run.code !== 0) throw new Error(`node scripts/ensure-built.mjs in ${serviceRoot} failed (${run.timedOut ? 'timed out' : `exit ${run.code}`}): ${crashReason(run.stderr)}`);
  return { ms: Math.round(run.wallMs) };
}

/** The line that says why a child died (V8's "FATAL ERROR: … heap out of memory", a thrown error), else the last one. */
function crashReason(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  return (lines.find((line) => /FATAL ERROR|out of memory/i.test(line)) ?? lines.find((line) => /^\w*Error\b/.test(line)) ?? lines.at(-1) ?? 'no output').slice(0, 300);
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(row: ColdBuildRow): ColdBuildRow {
  const good = row.runs.filter((run) => run.ok);
  row.medianWallMs = median(good.map((run) => run.wallMs));
  row.medianMaxRssKb = median(good.flatMap((run) => (run.maxRssKb === null ? [] : [run.maxRssKb])));
  row.medianBuildMs = median(good.flatMap((run) => (typeof run.buildMs === 'number' ? [run.buildMs] : [])));
  return row;
}
