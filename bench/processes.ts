/**
 * Child processes for the bench: every measured thing runs in its own process, started with
 * `node` directly (baseline, floors) or with `npm` as users run the service (`npm run
 * build:feeds`, `npm start`: npm, then a shell, then node). The process measured is then npm's
 * node descendant, found in /proc; stopping a child stops exactly it and its descendants, each by
 * its pid. Every wait has a time limit.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledPath, ensureCompiled } from './compiled.js';
import { PROBE_TAG } from './probe-tag.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The node flags an npm script of the service passes (`node --max-old-space-size=8192 dist/…`),
 * read from its package.json, so the bench runs the service as `npm start` and
 * `npm run build:feeds` do.
 */
export function npmScriptNodeFlags(script: ServiceScript, root = REPO_ROOT): string[] {
  return serviceScriptCommand(script, root).flags;
}

/**
 * The environment assignments an npm script of the service puts before `node`, as the shell
 * reads them (`GLIBC_TUNABLES=${GLIBC_TUNABLES:-…}`), or '' when there are none.
 */
export function npmScriptEnvAssignments(script: ServiceScript, root = REPO_ROOT): string {
  return serviceScriptCommand(script, root).assignments;
}

/** The npm scripts that run the service. */
export type ServiceScript = 'start' | 'build:feeds';

function serviceScriptCommand(script: ServiceScript, root: string): { readonly assignments: string; readonly flags: string[] } {
  const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  // `[NAME=value …] node <flags> dist/…`, or the same with `scripts/ensure-built.mjs --run dist/…`
  // (compile check and script in one process).
  const match = /(?:^|&&\s*)((?:[A-Z_][A-Z0-9_]*=\S+\s+)*)node((?:\s+--\S+)*)\s+(?:scripts\/ensure-built\.mjs\s+--run\s+)?dist\//.exec(scripts[script] ?? '');
  if (!match) throw new Error(`package.json: the "${script}" script does not run node dist/…`);
  return { assignments: match[1]!.trim(), flags: match[2]!.trim().split(/\s+/).filter(Boolean) };
}

/**
 * Pins every thread of process `pid` to the CPUs in `cpus` (taskset's list syntax, e.g. "0" or
 * "0-1"). False when that is not possible here (no taskset, one CPU); the caller then says so.
 */
export function pinToCpus(pid: number, cpus: string): boolean {
  if (os.cpus().length < 2) return false;
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  return result.status === 0;
}

/**
 * `node [flags] [--import probe] <compiled script> args…`: `script` is a .ts path relative to
 * `root` (default: this repository), run from its plain JavaScript (bench/compiled.ts).
 */
export function nodeArgs(script: string, args: readonly string[] = [], { probe = false, root = REPO_ROOT, nodeFlags = [] as readonly string[] } = {}): string[] {
  ensureCompiled(root, REPO_ROOT);
  const probeArgs = probe ? ['--import', probeUrl()] : [];
  return [...nodeFlags, ...probeArgs, compiledPath(root, script), ...args];
}

/** The file URL of the compiled bench/probe-rss.ts, for `--import` (also in NODE_OPTIONS). */
export function probeUrl(): string {
  ensureCompiled(REPO_ROOT, REPO_ROOT);
  return pathToFileURL(compiledPath(REPO_ROOT, 'bench/probe-rss.ts')).href;
}

/**
 * A clean environment: only what node needs plus `extra`. Nothing leaks in from the bench's own
 * environment (CONTENT_DIR, PORT, NODE_OPTIONS, the test runner's NODE_TEST_CONTEXT, …).
 */
export function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...extra };
}

/** The command that runs the service's npm scripts, found on PATH as a user's shell finds it. */
export const NPM = 'npm';

/** `npm start --silent`, `npm run build:feeds --silent`: the scripts as users run them, without npm's banner. */
export function npmScriptArgs(script: 'start' | 'build:feeds'): string[] {
  return script === 'start' ? ['start', '--silent'] : ['run', script, '--silent'];
}

/** The pids below `root` in the process tree (children first), from /proc; empty where /proc is missing. */
export function descendantPids(root: number): number[] {
  const children = new Map<number, number[]>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // stat(5): "pid (comm) state ppid …"; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const siblings = children.get(ppid) ?? [];
    siblings.push(Number(name));
    children.set(ppid, siblings);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The arguments process `pid` was started with (/proc/<pid>/cmdline); empty once it is gone. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Sends `signal` to `pid` and every process below it, each by its pid (listed first: orphans move to init). */
export function signalTree(pid: number, signal: NodeJS.Signals): void {
  for (const target of [...descendantPids(pid).reverse(), pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone.
    }
  }
}

/** A TCP port free on 127.0.0.1 now (for a server that must be polled before it says where it listens). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
let cleanupInstalled = false;

/** If the bench itself dies, the processes it started go with it (each by its own pid, with what npm started). */
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const running of live) if (running.pid !== undefined) signalTree(running.pid, 'SIGKILL');
  });
}

/** Calls `onLine` with each complete line of a text stream. */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
}

/** What bench/probe-rss.ts printed at one node process's exit. */
export interface ProbeLine {
  readonly maxRssKb: number;
  /** The script the process ran (process.argv[1]); '' when the probe did not say. */
  readonly script: string;
}

export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** From spawn to exit, measured here. */
  readonly wallMs: number;
  /** Peak RSS of the process tree as the probes reported it (peakRssKb), in KB. */
  readonly maxRssKb?: number;
  /** Every probe line, one per node process that ran with the probe, in the order they exited. */
  readonly probes: readonly ProbeLine[];
  /** The last 64 KB of each stream. */
  readonly stdout: string;
  readonly stderr: string;
}

const KEEP = 64 * 1024;
const tail = (text: string, chunk: string) => (text.length + chunk.length > KEEP ? (text + chunk).slice(-KEEP) : text + chunk);

/** npm's own command-line program (as opposed to what it runs): `…/bin/npm` as found on PATH, or `…/npm/bin/npm-cli.js`. */
export const isNpmItself = (probe: ProbeLine) => /[\\/]npm$|[\\/]npm[\\/]bin[\\/]npm-cli\.js$/.test(probe.script);

/**
 * The peak RSS of a run: the largest of its node processes', npm's own left out when the probes
 * tell it apart (npm holds its own ~50 MB while the build runs, in a process of its own).
 */
export function peakRssKb(probes: readonly ProbeLine[]): number | undefined {
  const measured = probes.filter((probe) => !isNpmItself(probe));
  const pool = measured.length ? measured : probes;
  return pool.length ? Math.max(...pool.map((probe) => probe.maxRssKb)) : undefined;
}

/** A probe line, or undefined for any other line. */
export function parseProbeLine(line: string): ProbeLine | undefined {
  if (!line.includes(PROBE_TAG)) return undefined;
  try {
    const parsed = JSON.parse(line) as { bench?: string; maxRssKb?: number; script?: string };
    if (parsed.bench === PROBE_TAG && typeof parsed.maxRssKb === 'number') return { maxRssKb: parsed.maxRssKb, script: parsed.script ?? '' };
  } catch {
    // Not our line after all.
  }
  return undefined;
}

/** Runs a node script to its end (or kills it at `timeoutMs`) and reports time and peak RSS. */
export function runNode(args: readonly string[], options: { env: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string }): Promise<ChildRun> {
  return runCommand(process.execPath, args, options);
}

/**
 * Runs `command` to its end (or kills it and everything it started at `timeoutMs`) and reports
 * time and peak RSS. Probe lines are picked from stderr as they come, so a long stderr never
 * pushes them out of the kept tail.
 */
export function runCommand(command: string, args: readonly string[], { env, timeoutMs, cwd = REPO_ROOT }: { env: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string }): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    const probes: ProbeLine[] = [];
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = tail(stdout, chunk)));
    eachLine(child.stderr, (line) => {
      const probe = parseProbeLine(line);
      if (probe) probes.push(probe);
      else stderr = tail(stderr, `${line}\n`);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalTree(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      resolve({ code, signal, timedOut, wallMs, maxRssKb: peakRssKb(probes), probes, stdout, stderr });
    });
  });
}

/** One JSON log line of a server, with the time this process received it. */
export interface LogLine {
  readonly msg?: string;
  readonly time?: string;
  readonly receivedAt: number;
  readonly [field: string]: unknown;
}

interface Waiter {
  readonly predicate: (line: LogLine) => boolean;
  readonly resolve: (line: LogLine) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A long-running child that logs JSON lines on stdout (the service, or a floor server). Lines are
 * kept so a wait can also match a line that arrived before it began (`since`).
 */
export class ServerProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  /** Date.now() at spawn. */
  readonly startedAt = Date.now();
  #waiters = new Set<Waiter>();
  #stderr = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #measured: number | undefined;

  /** `command` (default node) with `args`; for `npm`, call `attachDescendant` once the server runs. */
  constructor(readonly name: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT, command = process.execPath) {
    this.child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(this.child);
    eachLine(this.child.stdout!, (text) => this.#onLine(text));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr = tail(this.#stderr, chunk)));
    this.child.once('exit', (code, signal) => {
      this.#exit = { code, signal };
      for (const waiter of this.#waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) while waiting; stderr: ${this.#stderr.slice(-2000)}`));
      }
      this.#waiters.clear();
    });
  }

  /** The process measured, pinned and stopped: the one spawned, or the descendant attached. */
  get pid(): number {
    return this.#measured ?? this.child.pid!;
  }

  /**
   * Makes the descendant whose command line `matches` (e.g. npm's `node … dist/main.js`) the
   * process measured. Throws when there is none.
   */
  attachDescendant(matches: (argv: readonly string[]) => boolean): number {
    const found = descendantPids(this.child.pid!).find((pid) => matches(commandLine(pid)));
    if (found === undefined) throw new Error(`${this.name}: no process below pid ${this.child.pid} matches (is /proc there?)`);
    this.#measured = found;
    return found;
  }

  get exited(): boolean {
    return this.#exit !== undefined;
  }

  #onLine(text: string): void {
    if (!text.startsWith('{')) return;
    let line: LogLine;
    try {
      line = { ...(JSON.parse(text) as Record<string, unknown>), receivedAt: Date.now() };
    } catch {
      return;
    }
    this.lines.push(line);
    for (const waiter of this.#waiters) {
      if (!waiter.predicate(line)) continue;
      clearTimeout(waiter.timer);
      this.#waiters.delete(waiter);
      waiter.resolve(line);
    }
  }

  /** The first line from index `since` on that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (line: LogLine) => boolean, { timeoutMs, since = this.lines.length, what = 'a log line' }: { timeoutMs: number; since?: number; what?: string }): Promise<LogLine> {
    const earlier = this.lines.slice(since).find(predicate);
    if (earlier) return Promise.resolve(earlier);
    if (this.#exit) return Promise.reject(new Error(`${this.name} has exited (code ${this.#exit.code}); stderr: ${this.#stderr.slice(-2000)}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new TimeoutError(`${this.name}: no ${what} within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Resident set size now, from /proc (Linux), in KB. */
  rssKb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!match) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]);
  }

  /**
   * SIGTERM to the process measured (npm then exits with it), then SIGKILL to the whole tree after
   * `graceMs`; resolves when the spawned process has exited.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#exit) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      // Gone already; npm follows.
    }
    const timer = setTimeout(() => signalTree(this.child.pid!, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // npm has exited; the process measured must have gone with it (else it is orphaned: kill it).
    if (this.#measured !== undefined && isAlive(this.#measured)) {
      await waitFor(() => !isAlive(this.#measured!), graceMs);
      if (isAlive(this.#measured)) process.kill(this.#measured, 'SIGKILL');
    }
  }
}

/** Whether process `pid` still exists (a zombie of ours counts as gone once reaped). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `done()` holds (checked every 50 ms) or after `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done() && Date.now() < end) await sleep(50);
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** CPU time (user + system, all threads) process `pid` has used, in ms; undefined where /proc is missing. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * How long after a server is quiet (waitUntilQuiet) what it holds is read, or the serving loads
 * start: past the build thread's idle collections after a build, 8 s after it (2 s, then 6 s idle:
 * src/build/heap-release.ts), with room for the compaction that follows them.
 */
export const SETTLE_AFTER_QUIET_MS = 12_000;

/**
 * Waits until process `pid` is quiet: less than `maxShare` of one CPU over a whole second (after
 * a build V8 finishes collecting and shrinking the heap for a few seconds). Gives up after
 * `timeoutMs`; returns how long it waited, or undefined if it was never quiet.
 */
export async function waitUntilQuiet(pid: number, { maxShare = 0.05, timeoutMs = 30_000 } = {}): Promise<number | undefined> {
  const started = Date.now();
  let before = processCpuMs(pid);
  while (before !== undefined && Date.now() - started < timeoutMs) {
    await sleep(1000);
    const after = processCpuMs(pid);
    if (after === undefined) return undefined;
    if (after - before < 1000 * maxShare) return Date.now() - started;
    before = after;
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Free space and free inodes of the file system that holds `dir` (what an unprivileged user may use). */
export async function freeDisk(dir: string): Promise<{ bytes: number; inodes: number }> {
  const stats = await statfs(dir);
  return { bytes: stats.bavail * stats.bsize, inodes: stats.ffree };
}
