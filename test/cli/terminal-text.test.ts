import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { terminalText } from '../../src/cli/terminal-text.js';

describe('terminalText', () => {
  it('leaves text without control characters as it is: letters of any script, emoji, a backslash', () => {
    for (const text of ['content/a.md: title: Required', 'Zürich/人工智能/עברית/العربية.md', '🚀 launch.md', 'C:\\content\\a.md', '']) {
      assert.equal(terminalText(text), text);
    }
  });

  it('writes a line feed, a carriage return and a tab as \\n, \\r and \\t, so a file name cannot forge a line of the report', () => {
    const line = terminalText("content/evil\n  content/other.md: ok\r\t.md: title: Required");
    assert.equal(line, 'content/evil\\n  content/other.md: ok\\r\\t.md: title: Required');
    assert.equal(line.split('\n').length, 1);
  });

  it('writes every other C0 control, DEL and every C1 control as \\xHH: no terminal escape sequence gets through', () => {
    assert.equal(terminalText('a\x1B[31mred\x1B]0;title\x07.md'), 'a\\x1B[31mred\\x1B]0;title\\x07.md');
    assert.equal(terminalText('\x00\x0B\x0C\x1F\x7F\x80\x85\x9B\x9F'), '\\x00\\x0B\\x0C\\x1F\\x7F\\x80\\x85\\x9B\\x9F');
    for (let code = 0; code <= 0x9f; code++) {
      const escaped = terminalText(String.fromCharCode(code));
      const unsafe = code < 0x20 || code >= 0x7f;
      assert.equal(escaped.length > 1, unsafe, `U+${code.toString(16)}: ${JSON.stringify(escaped)}`);
      assert.doesNotMatch(escaped, /[\u0000-\u001F\u007F-\u009F]/);
    }
  });

  it('writes the line and paragraph separators and the bidirectional formatting characters as \\uHHHH', () => {
    assert.equal(terminalText('a\u2028b\u2029c'), 'a\\u2028b\\u2029c');
    // "Trojan Source": a right-to-left override makes `gpj.exe` look like `exe.jpg`.
    assert.equal(terminalText('photo\u202Egpj.md'), 'photo\\u202Egpj.md');
    for (const code of [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
      assert.equal(terminalText(String.fromCharCode(code)), `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`);
    }
  });
});
