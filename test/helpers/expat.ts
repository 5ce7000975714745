import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import type { TestContext } from 'node:test';

/**
 * Python's expat, a conforming XML 1.0 parser, from Debian's interpreter (python3-feedparser, which
 * .ci/run installs, brings it). fast-xml-parser's validator lets a raw `<` in an attribute value,
 * `]]>` in text and forbidden characters through, so only expat can say a document is well-formed.
 */
const PYTHON = '/usr/bin/python3';

/** Reads {name: text} as JSON on stdin; prints [name, error] for each document expat refuses. */
const SCRIPT = `
import json, sys, xml.parsers.expat
failures = []
for name, text in json.load(sys.stdin).items():
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(text.encode('utf-8'), True)
    except xml.parsers.expat.ExpatError as error:
        failures.append([name, str(error)])
print(json.dumps(failures))
`;

let available: Promise<boolean> | undefined;

/** True when the check must be skipped (no expat outside CI); in CI a missing expat fails the test. */
export async function missingExpat(t: TestContext): Promise<boolean> {
  available ??= access(PYTHON).then(
    () => true,
    () => false,
  );
  if (await available) return false;
  const message = `${PYTHON} is not installed, so expat cannot check the XML`;
  if (process.env.CI === 'true') assert.fail(`${message} (CI must run this check)`);
  t.skip(message);
  return true;
}

/** `name: expat's error` for every document that is not well-formed XML; [] when all are. */
export function expatErrors(documents: ReadonlyMap<string, string>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', SCRIPT], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`expat check failed: ${stderr || error.message}`));
      resolve((JSON.parse(stdout) as [string, string][]).map(([name, message]) => `${name}: ${message}`));
    });
    child.stdin!.end(JSON.stringify(Object.fromEntries(documents)));
  });
}
