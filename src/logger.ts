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
      write(`${escapeActiveCharacters(JSON.stringify({ level: name, time: clock().toISOString(), msg: message, ...serializeFields(fields) }))}\n`);
    };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

/**
 * Characters that a terminal or a log viewer acts on, beyond the C0 controls: DEL and the C1
 * controls (U+009B starts an escape sequence in many terminals), the bidirectional formatting
 * characters (a file name with U+202E shows its text reversed, and can make a line read as another:
 * "Trojan Source", CVE-2021-42574), and U+2028/U+2029 (line breaks to some log shippers and
 * viewers). A content file's name, a topic or a YAML reason can bring any of them into a line. A
 * character class's contents: JSON.stringify escapes the C0 controls itself, and the CLI's report
 * adds them (cli/terminal-text.ts).
 */
export const DISPLAY_ACTIVE_CHARACTERS = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

const ACTIVE_CHARACTERS = new RegExp(`[${DISPLAY_ACTIVE_CHARACTERS}]`, 'g');

/** `json` with those characters written as \u escapes: the same JSON value, inert on a screen. */
function escapeActiveCharacters(json: string): string {
  return json.replace(ACTIVE_CHARACTERS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
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
