import { DISPLAY_ACTIVE_CHARACTERS } from '../logger.js';

/**
 * Characters that must not reach a terminal as they are, in text that may hold a file name (a
 * content file's, a folder's: anyone who can add a file chooses them): the C0 controls
 * (U+0000-U+001F: a line feed or a carriage return forges a line of the report, `evil\n
 * other.md: ok.md`, and ESC starts terminal escape sequences: colours, cursor moves, window
 * titles, hyperlinks), and those a JSON log line escapes too (DISPLAY_ACTIVE_CHARACTERS: DEL, the
 * C1 controls, the line and paragraph separators, the bidirectional formatting characters).
 */
const TERMINAL_UNSAFE = new RegExp(`[\\u0000-\\u001F${DISPLAY_ACTIVE_CHARACTERS}]`, 'g');

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * `text` as one line that shows what it holds: each character of TERMINAL_UNSAFE is written as an
 * escape (`\n`, `\t`, `\r`, `\x1B`, `\u202E`), everything else as it is (letters of any script,
 * emoji, a backslash). For the CLI's report; JSON log lines escape the same characters as `\uXXXX`
 * (logger.ts).
 */
export function terminalText(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (character) => SHORT_ESCAPES[character] ?? escapeOf(character.charCodeAt(0)));
}

function escapeOf(code: number): string {
  const hex = code.toString(16).toUpperCase();
  return code <= 0xff ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
}
