import { createLogger, type Logger } from '../../src/logger.js';

/** One parsed log line. */
export interface LogEntry {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A real logger at level debug whose lines are collected, parsed, for assertions. */
export function collectingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => entries.push(JSON.parse(line) as LogEntry) }), entries };
}
