/**
 * scripts/ensure-built.mjs, which `npm start` and `npm run build:feeds` run first: it compiles
 * src/ when, and only when, dist/ was not compiled from exactly these sources. Run on a copy of
 * the project (its node_modules linked), as its own process, as npm runs it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function ensureBuilt(project: string, ...args: string[]) {
  const started = performance.now();
  const run = spawnSync(process.execPath, ['scripts/ensure-built.mjs', ...args], { cwd: project, encoding: 'utf8' });
  return { ...run, ms: performance.now() - started };
}

describe('ensure-built: compile only what changed', { timeout: 180_000 }, () => {
  let project: string;
  const mtime = (file: string) => statSync(path.join(project, file)).mtimeMs;

  before(async () => {
    project = await makeTempDir('ensure-built-');
    for (const name of ['src', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json']) cpSync(path.join(ROOT, name), path.join(project, name), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
  });

  it('compiles into dist/ when there is none, and stamps it', () => {
    const run = ensureBuilt(project);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(existsSync(path.join(project, 'dist', 'main.js')));
    assert.ok(existsSync(path.join(project, 'dist', 'cli', 'build-feeds.js')));
    assert.match(readFileSync(path.join(project, 'dist', '.build-stamp'), 'utf8'), /^[0-9a-f]{64}\n$/);
  });

  it('leaves dist/ alone when the sources are those it was compiled from', () => {
    const before = mtime('dist/main.js');
    const run = ensureBuilt(project);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(mtime('dist/main.js'), before, 'dist/main.js was not written again');
    assert.ok(run.ms < 2000, `took ${Math.round(run.ms)} ms`);
  });

  it('compiles again after a source file changed, and the change is in dist/', () => {
    const file = path.join(project, 'src', 'errors.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nexport const ENSURE_BUILT_PROBE = 'changed';\n`);
    const run = ensureBuilt(project);
    assert.equal(run.status, 0, run.stderr);
    assert.match(readFileSync(path.join(project, 'dist', 'errors.js'), 'utf8'), /ENSURE_BUILT_PROBE/);
  });

  it('with --run FILE, then runs FILE in its own process (npm start: one Node.js start-up, not two), with the arguments after FILE as its own', () => {
    writeFileSync(
      path.join(project, 'probe.mjs'),
      "process.stdout.write(JSON.stringify({ pid: process.pid, stamp: (await import('node:fs')).existsSync('dist/.build-stamp'), argv: process.argv.slice(1) }));\n",
    );
    const run = ensureBuilt(project, '--run', 'probe.mjs', '--strict', '--force');
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { pid: run.pid, stamp: true, argv: [path.join(project, 'probe.mjs'), '--strict', '--force'] }, 'ran in the same process, after dist/ was up to date, as if Node had started it');
  });

  it('fails, and leaves no stamp, when the sources do not compile; with --run, runs nothing', () => {
    writeFileSync(path.join(project, 'src', 'broken.ts'), 'export const x: number = "not a number";\n');
    const run = ensureBuilt(project, '--run', 'probe.mjs');
    assert.notEqual(run.status, 0);
    assert.doesNotMatch(run.stdout, /pid/, 'the file given to --run did not run');
    assert.ok(!existsSync(path.join(project, 'dist', '.build-stamp')), 'no stamp: the next run compiles again');
  });
});
