/**
 * A small structured logger: one JSON object per line on stdout (errors too, so one stream holds
 * the whole story). The only logging code in the service; everything else receives a Logger.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type LogFields = Record<string, unknown>;
type LogMethod = (message: string, fields?: LogFields) => void;

export interface Logger {
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly write?: (line: string) => void;
  readonly clock?: () => Date;
}

export function createLogger({ level = 'info', write = (line) => process.stdout.write(line), clock = () => new Date() }: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const method =
    (name: Exclude<LogLevel, 'silent'>): LogMethod =>
    (message, fields = {}) => {
      if (LOG_LEVELS.indexOf(name) < threshold) return;
      write(`${JSON.stringify({ level: name, time: clock().toISOString(), msg: message, ...serializeFields(fields) })}\n`);
    };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

/** Errors become {name, code, details, message, stack}; JSON.stringify would print `{}`. */
function serializeFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { name: value.name, code: (value as { code?: unknown }).code, details: (value as { details?: unknown }).details, message: value.message, stack: value.stack }
        : value;
  }
  return out;
}

/** For tests and for callers that want no output. */
export const silentLogger: Logger = createLogger({ level: 'silent' });
