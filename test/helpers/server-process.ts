import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The environment of a test's server process: content, feeds and state folders under `base`, on
 * 127.0.0.1 with a port of its own, a schedule that never fires, JSON logs at info; `settings`
 * override any of these. The test runner's NODE_TEST_CONTEXT is left out, so the child is not
 * taken for a test file.
 */
export function serverEnv(base: string, settings: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    CONTENT_DIR: path.join(base, 'content'),
    FEEDS_DIR: path.join(base, 'feeds'),
    STATE_DIR: path.join(base, 'state'),
    PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
    BUILD_CRON: '0 0 1 1 *',
    LOG_LEVEL: 'info',
    ...settings,
  };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** The real server, `src/main.ts` (what `npm start` runs, compiled), through tsx, with `env`. */
export function startServer(env: NodeJS.ProcessEnv): ServerProcess {
  return new ServerProcess(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** One JSON log line of the server (see src/logger.ts). */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly port?: number;
  readonly [field: string]: unknown;
}

/**
 * A spawned server process: its JSON log lines, its stderr and how it exited, with bounded waits
 * for a log line or the exit.
 */
export class ServerProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ level: 'raw', msg: line });
        }
      }
      this.#notify();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    child.on('exit', (code, signal) => {
      this.exit = { code, signal, at: Date.now() };
      this.#notify();
    });
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
  }

  /** Resolves with the first log line matching `test`; rejects on exit or after `timeoutMs`. */
  waitForLine(test: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.find(test);
        if (found) return finish(() => resolve(found));
        if (this.exit) return finish(() => reject(new Error(`server exited (${JSON.stringify(this.exit)}) before ${what}; stderr: ${this.stderr.slice(-2000)}`)));
      };
      // The last 40 lines: a server building every second logs one a second, and what went wrong is
      // often the line before the repeated ones.
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms; log: ${JSON.stringify(this.lines.slice(-40))}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Resolves when the process has exited, or with undefined after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<ServerProcess['exit']> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.exit) finish();
      };
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(this.exit);
      };
      this.#waiters.add(check);
      check();
    });
  }
}
