/**
 * The node flags `npm start` and `npm run build:feeds` pass (package.json) are accepted by the
 * Node.js that runs the tests: some are V8's, which a Node.js upgrade may drop, and node refuses
 * to start on a flag it does not know ("bad option"), so the service would not start at all.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { npmScriptNodeFlags } from '../../bench/processes.js';

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
