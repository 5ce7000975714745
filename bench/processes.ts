/**
 * Child processes for the bench: every measured thing runs in its own process, started with
 * `node` directly (no shell, no npx), so its pid is the process measured and stopping it stops
 * exactly it. Every wait has a time limit.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
export function npmScriptNodeFlags(script: 'start' | 'build:feeds', root = REPO_ROOT): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const match = /(?:^|&&\s*)node((?:\s+--\S+)*)\s+dist\//.exec(scripts[script] ?? '');
  if (!match) throw new Error(`package.json: the "${script}" script does not run node dist/…`);
  return match[1]!.trim().split(/\s+/).filter(Boolean);
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
  const probeArgs = probe ? ['--import', pathToFileURL(compiledPath(REPO_ROOT, 'bench/probe-rss.ts')).href] : [];
  return [...nodeFlags, ...probeArgs, compiledPath(root, script), ...args];
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

const live = new Set<ChildProcess>();
let cleanupInstalled = false;

/** If the bench itself dies, the processes it started go with it (each by its own pid). */
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const running of live) running.kill('SIGKILL');
  });
}

export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** From spawn to exit, measured here. */
  readonly wallMs: number;
  /** Peak RSS reported by the child itself at exit (bench/probe-rss.ts), in KB. */
  readonly maxRssKb?: number;
  /** The last 64 KB of each stream. */
  readonly stdout: string;
  readonly stderr: string;
}

const KEEP = 64 * 1024;
const tail = (text: string, chunk: string) => (text.length + chunk.length > KEEP ? (text + chunk).slice(-KEEP) : text + chunk);

/** Runs a node script to its end (or kills it at `timeoutMs`) and reports time and peak RSS. */
export function runNode(args: readonly string[], { env, timeoutMs, cwd = REPO_ROOT }: { env: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string }): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = tail(stdout, chunk)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = tail(stderr, chunk)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      resolve({ code, signal, timedOut, wallMs, maxRssKb: probeLine(stderr)?.maxRssKb, stdout, stderr });
    });
  });
}

function probeLine(stderr: string): { maxRssKb: number } | undefined {
  for (const line of stderr.split('\n').reverse()) {
    if (!line.includes(PROBE_TAG)) continue;
    try {
      const parsed = JSON.parse(line) as { bench?: string; maxRssKb?: number };
      if (parsed.bench === PROBE_TAG && typeof parsed.maxRssKb === 'number') return { maxRssKb: parsed.maxRssKb };
    } catch {
      // Not our line after all.
    }
  }
  return undefined;
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
  #waiters = new Set<Waiter>();
  #stderr = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(readonly name: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT) {
    this.child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(this.child);
    let buffered = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        this.#onLine(text);
      }
    });
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

  get pid(): number {
    return this.child.pid!;
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

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#exit) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
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
