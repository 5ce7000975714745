/**
 * Cold static builds: the BASELINE (bench/baseline.ts) and our CLI, each run in its own process
 * into empty output and state folders, alternately (baseline, ours, baseline, ours, …) so a noisy
 * machine slows both alike. Wall time is measured here from spawn to exit (so both include node's
 * start-up; both run as plain JavaScript, see bench/compiled.ts); peak RSS is what the child
 * reports at exit (bench/probe-rss.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { childEnv, nodeArgs, npmScriptNodeFlags, runNode, type ChildRun } from './processes.js';

export type BuildVariant = 'baseline' | 'ours' | 'ours-archives';

export const VARIANT_LABELS: Record<BuildVariant, string> = {
  baseline: 'baseline (gray-matter + feed, naive)',
  ours: 'ours, FEED_ARCHIVES=false',
  'ours-archives': 'ours, FEED_ARCHIVES=true',
};

export interface ColdRun {
  readonly wallMs: number;
  readonly maxRssKb: number | null;
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
  /** Why runs are missing, if they are. */
  note?: string;
}

export interface ColdBuildSettings {
  readonly maxItems: number;
  readonly baseUrl: string;
  /** Where the service's src/ is (default: this repository). */
  readonly serviceRoot: string;
}

/** One cold build of `variant` over `contentDir`, in a fresh temporary output folder. */
export async function runColdBuild(variant: BuildVariant, contentDir: string, settings: ColdBuildSettings, timeoutMs: number): Promise<ColdRun> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'feed-bench-cold-'));
  try {
    let run: ChildRun;
    if (variant === 'baseline') {
      run = await runNode(
        nodeArgs('bench/baseline.ts', ['--content', contentDir, '--out', path.join(work, 'feeds'), '--max-items', String(settings.maxItems), '--base-url', settings.baseUrl], { probe: true }),
        { env: childEnv({}), timeoutMs },
      );
    } else {
      // With the node flags `npm run build:feeds` gives it (archives at 100k need a larger heap).
      const nodeFlags = npmScriptNodeFlags('build:feeds', settings.serviceRoot);
      run = await runNode(nodeArgs('src/cli/build-feeds.ts', [], { probe: true, root: settings.serviceRoot, nodeFlags }), {
        cwd: settings.serviceRoot,
        env: childEnv({
          CONTENT_DIR: contentDir,
          FEEDS_DIR: path.join(work, 'feeds'),
          STATE_DIR: path.join(work, 'state'),
          PUBLIC_BASE_URL: settings.baseUrl,
          FEED_MAX_ITEMS: String(settings.maxItems),
          FEED_ARCHIVES: variant === 'ours-archives' ? 'true' : 'false',
          LOG_LEVEL: 'silent',
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
    return { wallMs: Math.round(run.wallMs), maxRssKb: run.maxRssKb ?? null, ok, ...(error ? { error } : {}) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The line that says why a child died (V8's "FATAL ERROR: … heap out of memory", a thrown error), else the last one. */
function crashReason(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line && !line.includes('feed-bench-probe'));
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
  return row;
}
