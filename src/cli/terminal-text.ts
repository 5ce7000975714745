/**
 * Characters that must not reach a terminal as they are, in text that may hold a file name (a
 * content file's, a folder's: anyone who can add a file chooses them):
 *
 * - C0 controls (U+0000-U+001F), DEL (U+007F) and C1 controls (U+0080-U+009F): a line feed or a
 *   carriage return forges a line of the report (`evil\n  other.md: ok.md`), ESC and CSI (U+009B)
 *   start terminal escape sequences (colours, cursor moves, window titles, hyperlinks);
 * - the line and paragraph separators (U+2028, U+2029), which some viewers break lines at;
 * - the bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A-U+202E,
 *   U+2066-U+2069), which reorder how the rest of the line is shown ("Trojan Source",
 *   CVE-2021-42574).
 */
const TERMINAL_UNSAFE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * `text` as one line that shows what it holds: each character of TERMINAL_UNSAFE is written as an
 * escape (`\n`, `\t`, `\r`, `\x1B`, `\u202E`), everything else as it is (letters of any script,
 * emoji, a backslash). For the CLI's report; JSON log lines are escaped by JSON.
 */
export function terminalText(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (character) => SHORT_ESCAPES[character] ?? escapeOf(character.charCodeAt(0)));
}

function escapeOf(code: number): string {
  const hex = code.toString(16).toUpperCase();
  return code <= 0xff ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
}
