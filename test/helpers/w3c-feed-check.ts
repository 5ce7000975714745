import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The W3C Feed Validation Service's own checker (../shared/tools/w3c-feed-check, beside this
 * repository, with the validator's source), run with Debian's python3 and its python3-lxml,
 * python3-html5lib and python3-rdflib (.ci/run installs them).
 */
export const W3C_FEED_CHECK = fileURLToPath(new URL('../../../shared/tools/w3c-feed-check', import.meta.url));
/** Debian's interpreter, which has the three modules; a pyenv `python3` on PATH may not. */
const PYTHON = '/usr/bin/python3';

/** One finding: the file (as given), where, and the message (`(N occurrences)` dropped). */
export interface W3cFinding {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

let available: Promise<string | undefined> | undefined;

/** Undefined when the checker can run here, else why not. */
function unavailable(): Promise<string | undefined> {
  available ??= access(W3C_FEED_CHECK).then(
    () =>
      new Promise((resolve) => {
        execFile(PYTHON, ['-c', 'import lxml, html5lib, rdflib'], { timeout: 30_000 }, (error) =>
          resolve(error ? `${PYTHON} lacks python3-lxml, python3-html5lib or python3-rdflib (.ci/run installs them)` : undefined),
        );
      }),
    () => `${W3C_FEED_CHECK} is missing (the shared tools folder beside the repository)`,
  );
  return available;
}

/** True when the check must be skipped (outside CI); in CI a missing checker fails the test. */
export async function missingW3cFeedCheck(t: TestContext): Promise<boolean> {
  const reason = await unavailable();
  if (reason === undefined) return false;
  if (process.env.CI === 'true') assert.fail(`${reason} (CI must run the W3C check)`);
  t.skip(reason);
  return true;
}

/**
 * Every finding (errors and warnings, level AA as the online service reports) for `files`, each
 * checked as if fetched from its own self link. Fails if the checker did not check them all.
 */
export function w3cFindings(files: readonly string[]): Promise<W3cFinding[]> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [W3C_FEED_CHECK, ...files], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const summary = /^w3c-feed-check: (\d+) files, (\d+) with findings$/m.exec(stdout);
      if (!summary || Number(summary[1]) !== files.length || (error && typeof error.code !== 'number')) {
        reject(new Error(`w3c-feed-check did not run over ${files.length} files: ${error?.message ?? ''}\n${stderr}\n${stdout.slice(-2000)}`));
        return;
      }
      const findings: W3cFinding[] = [];
      for (const line of stdout.split('\n')) {
        const file = files.find((name) => line.startsWith(`${name}:`));
        if (file === undefined) continue;
        const match = /^(\d+):\d+: (.*?)(?: \(\d+ occurrences\))?$/.exec(line.slice(file.length + 1));
        findings.push({ file, line: Number(match?.[1] ?? 0), message: match?.[2] ?? line });
      }
      if (findings.length === 0 && Number(summary[2]) > 0) reject(new Error(`w3c-feed-check reported findings it did not list:\n${stdout}`));
      else resolve(findings);
    });
  });
}
