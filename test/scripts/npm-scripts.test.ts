/**
 * The node flags `npm start` and `npm run build:feeds` pass (package.json) are accepted by the
 * Node.js that runs the tests: some are V8's, which a Node.js upgrade may drop, and node refuses
 * to start on a flag it does not know ("bad option"), so the service would not start at all.
 * And the glibc tunable they set is one glibc knows: it ignores a name it does not know without
 * a word.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { npmScriptEnvAssignments, npmScriptNodeFlags, type ServiceScript } from '../../bench/processes.js';

describe('the npm scripts\' node flags', () => {
  for (const script of ['start', 'build:feeds'] as const) {
    it(`are all accepted by this Node.js (${script})`, () => {
      const flags = npmScriptNodeFlags(script);
      const run = spawnSync(process.execPath, [...flags, '-e', 'process.stdout.write("started")'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 0, `node ${flags.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, 'started');
      assert.equal(run.stderr, '', 'no warning about a flag');
    });
  }

  it('would catch a flag this Node.js does not know', () => {
    const run = spawnSync(process.execPath, ['--no-such-v8-flag-at-all=1', '-e', '0'], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /bad option/);
  });
});

/** glibc's dynamic loader, which lists the tunables as the process it would start reads them. */
const LOADER = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((file) => existsSync(file));
const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
const noLoader = LOADER === undefined || glibc === undefined ? 'not a glibc system: its tunables do not apply' : undefined;
if (noLoader && process.env.CI === 'true') throw new Error(`CI runs on Debian: ${noLoader}`);
if (noLoader) console.log(`skipping the glibc tunable tests: ${noLoader}`);

/** The tunables glibc reads, started with `script`'s environment assignments in `env`. */
function tunablesUnder(script: ServiceScript, env: NodeJS.ProcessEnv): Map<string, string> {
  const run = spawnSync('sh', ['-c', `${npmScriptEnvAssignments(script)} exec ${LOADER} --list-tunables`], { encoding: 'utf8', env, timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  // Lines such as `glibc.malloc.mmap_threshold: 0x20000 (min: 0x0, max: …)`.
  const lines = run.stdout.split('\n').map((line) => /^(\S+): (\S+)/.exec(line));
  return new Map(lines.filter((line) => line !== null).map(([, name, value]) => [name!, value!]));
}

describe("the npm scripts' glibc tunable", { skip: noLoader }, () => {
  for (const script of ['start', 'build:feeds'] as const) {
    it(`gives allocations of 128 KiB and more their own mappings, unless GLIBC_TUNABLES is set (${script})`, () => {
      const { GLIBC_TUNABLES: _operators, ...env } = process.env;
      assert.equal(tunablesUnder(script, env).get('glibc.malloc.mmap_threshold'), '0x20000');
      const operators = tunablesUnder(script, { ...env, GLIBC_TUNABLES: 'glibc.malloc.arena_max=3' });
      assert.equal(operators.get('glibc.malloc.arena_max'), '0x3', "the operator's setting is read");
      assert.equal(operators.get('glibc.malloc.mmap_threshold'), '0x0', 'and stands alone');
    });
  }
});
