import type { ChildProcess } from 'node:child_process';

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
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms; log: ${JSON.stringify(this.lines.slice(-5))}`))), timeoutMs);
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
