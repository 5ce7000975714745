/**
 * `npm run bench:profile -- [--n 100000] [--top 25] [--archives true|false]`: where a cold static
 * build spends its time and memory, with archives on (the shipped default) unless told otherwise.
 * First the build's stages one at a time (bench/build-stages.ts: wall time, and RSS, V8 heap and
 * buffers after each), then our CLI once (compiled, with the node flags of `npm run build:feeds`,
 * like the bench's cold builds) under V8's CPU profiler (--cpu-prof: one profile per thread) on the
 * bench corpus of size N, and prints per thread its busy time, garbage-collection time, and the
 * functions with the most time including and excluding what they call. The profiles are kept in
 * bench/results/profiles/<time>/ to open in Chrome DevTools. Not part of `npm run bench`: the
 * profiler slows the build, so these are shares, not timings.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, ensureCorpus } from './corpus.js';
import { childEnv, nodeArgs, npmScriptNodeFlags, REPO_ROOT, runNode } from './processes.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ThreadSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly idleMs: number;
  readonly gcMs: number;
  /** [function, ms] by time including callees, most first. */
  readonly inclusive: readonly (readonly [string, number])[];
  /** [function, ms] by own time, most first. */
  readonly self: readonly (readonly [string, number])[];
}

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/** A function as `name file:line`, the file relative to its package or to src/. */
function frameLabel({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const name = functionName || '(anonymous)';
  if (SPECIAL.has(name) || url === '') return name;
  const short = url.replace(/^.*\/node_modules\//, '').replace(/^.*\/\.bench-build\//, '').replace(/^file:\/\//, '');
  return `${name} ${short}:${lineNumber + 1}`;
}

/** Sums a CPU profile's samples by function: own time, and time including callees (each function once per stack). */
export function summarizeProfile(profile: CpuProfile, file: string, top: number): ThreadSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfById = new Map<number, number>();
  profile.samples.forEach((id, index) => selfById.set(id, (selfById.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of selfById) {
    total += micros;
    const own = frameLabel(nodes.get(id)!.callFrame);
    self.set(own, (self.get(own) ?? 0) + micros);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const label = frameLabel(nodes.get(current)!.callFrame);
      if (seen.has(label)) continue;
      seen.add(label);
      inclusive.set(label, (inclusive.get(label) ?? 0) + micros);
    }
  }
  const ranked = (map: Map<string, number>) =>
    [...map]
      .filter(([label]) => label !== '(root)' && label !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([label, micros]) => [label, micros / 1000] as const);
  return {
    file,
    totalMs: total / 1000,
    idleMs: (self.get('(idle)') ?? 0) / 1000,
    gcMs: (self.get('(garbage collector)') ?? 0) / 1000,
    inclusive: ranked(inclusive),
    self: ranked(self),
  };
}

export function formatThreadSummary(summary: ThreadSummary): string {
  const busy = summary.totalMs - summary.idleMs;
  const share = (ms: number) => `${((100 * ms) / Math.max(busy, 1)).toFixed(1).padStart(5)} %`;
  const rows = (entries: ThreadSummary['inclusive']) => entries.map(([label, ms]) => `  ${Math.round(ms).toString().padStart(7)} ms ${share(ms)}  ${label}`);
  return [
    `${summary.file}: busy ${Math.round(busy)} ms of ${Math.round(summary.totalMs)} ms, garbage collection ${Math.round(summary.gcMs)} ms (${share(summary.gcMs).trim()} of busy)`,
    ' including callees:',
    ...rows(summary.inclusive),
    ' own time:',
    ...rows(summary.self),
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { n: { type: 'string' }, top: { type: 'string' }, archives: { type: 'string' } }, strict: true });
  const n = Number(values.n ?? 100_000);
  const archives = values.archives ?? 'true';
  if (archives !== 'true' && archives !== 'false') throw new Error(`--archives: true or false, not ${archives}`);
  const top = Number(values.top ?? 25);
  const corpus = await ensureCorpus(n, DEFAULT_SEED);
  const stamp = new Date().toISOString().replace(/:/g, '-');
  const profileDir = path.join(REPO_ROOT, 'bench', 'results', 'profiles', stamp);
  await mkdir(profileDir, { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), 'feed-bench-profile-'));
  try {
    const nodeFlags = [...npmScriptNodeFlags('build:feeds'), '--cpu-prof', `--cpu-prof-dir=${profileDir}`];
    const run = await runNode(nodeArgs('src/cli/build-feeds.ts', [], { probe: true, nodeFlags }), {
      env: childEnv({ CONTENT_DIR: corpus.dir, FEEDS_DIR: path.join(work, 'feeds'), STATE_DIR: path.join(work, 'state'), FEED_ARCHIVES: archives, LOG_LEVEL: 'silent' }),
      timeoutMs: 30 * 60_000,
    });
    if (run.code !== 0) throw new Error(`the build failed (exit ${run.code ?? run.signal}): ${run.stderr.slice(-2000)}`);
    const stages = await runNode(nodeArgs('bench/build-stages.ts', [corpus.dir, archives], { nodeFlags: npmScriptNodeFlags('build:feeds') }), { env: childEnv({}), timeoutMs: 30 * 60_000 });
    if (stages.code !== 0) throw new Error(`the staged build failed (exit ${stages.code ?? stages.signal}): ${stages.stderr.slice(-2000)}`);
    const lines = [
      `Cold build of N=${n}, FEED_ARCHIVES=${archives}, stage by stage (no profiler; memory after each stage):`,
      ...stages.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const { stage, ms, rssMb, heapUsedMb, externalMb, ...detail } = JSON.parse(line) as Record<string, string | number>;
          const details = Object.entries(detail).map(([key, value]) => `${value} ${key}`).join(', ');
          return `  ${String(stage).padEnd(30)} ${String(ms).padStart(6)} ms   RSS ${String(rssMb).padStart(5)} MB, heap ${String(heapUsedMb).padStart(5)} MB, buffers ${String(externalMb).padStart(4)} MB${details ? `   (${details})` : ''}`;
        }),
      '',
      `Cold build of N=${n} (${corpus.dir}), FEED_ARCHIVES=${archives}, under --cpu-prof: ${Math.round(run.wallMs)} ms wall, peak RSS ${Math.round((run.maxRssKb ?? 0) / 1024)} MB (the profiler adds time).`,
      `node ${nodeFlags.join(' ')} …/src/cli/build-feeds.js`,
    ];
    for (const name of (await readdir(profileDir)).filter((file) => file.endsWith('.cpuprofile')).sort()) {
      const profile = JSON.parse(await readFile(path.join(profileDir, name), 'utf8')) as CpuProfile;
      lines.push('', formatThreadSummary(summarizeProfile(profile, name, top)));
    }
    const text = `${lines.join('\n')}\n`;
    await writeFile(path.join(profileDir, 'summary.txt'), text);
    process.stdout.write(`${text}\nProfiles and this summary: ${path.relative(process.cwd(), profileDir)}/\n`);
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  process.exitCode = await main();
}
