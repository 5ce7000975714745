import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { compiledPath } from '../../bench/compiled.js';
import { nodeArgs, npmScriptNodeFlags, REPO_ROOT } from '../../bench/processes.js';

describe('bench processes: the service runs as its npm scripts run it', () => {
  it('reads the node flags of `npm start` and `npm run build:feeds` from package.json', () => {
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const script of ['start', 'build:feeds'] as const) {
      const flags = npmScriptNodeFlags(script);
      assert.ok(flags.length > 0, script);
      assert.ok(scripts[script]!.includes(`node ${flags.join(' ')} dist/`), `${script}: ${flags.join(' ')}`);
      assert.ok(flags.includes('--max-old-space-size=8192'), script);
    }
    // The CLI builds on its main thread; the server's main thread answers requests (see BUILD_YOUNG_GENERATION_MB).
    assert.ok(npmScriptNodeFlags('build:feeds').includes('--max-semi-space-size=64'));
    assert.ok(!npmScriptNodeFlags('start').some((flag) => flag.startsWith('--max-semi-space-size')));
  });

  it('starts children from plain JavaScript compiled beside the sources, with no tsx loader', () => {
    const args = nodeArgs('src/main.ts', ['--x'], { probe: true, nodeFlags: ['--max-old-space-size=64'] });
    const main = compiledPath(REPO_ROOT, 'src/main.ts');
    assert.deepEqual(args.slice(-2), [main, '--x']);
    assert.equal(args[0], '--max-old-space-size=64');
    assert.ok(!args.includes('tsx'), args.join(' '));
    assert.ok(existsSync(main) && existsSync(compiledPath(REPO_ROOT, 'src/parse-worker.ts')), 'src/ compiled, worker modules included');
    assert.doesNotMatch(readFileSync(main, 'utf8'), /:\s*Promise<void>/, 'types are stripped');
  });
});

describe('bench processes: waiting for a quiet server', () => {
  it('returns once a process uses little CPU, and not while it is busy', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const { spawn } = await import('node:child_process');
    const { waitUntilQuiet } = await import('../../bench/processes.js');
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 2500; while (Date.now() < end);'], { stdio: 'ignore' });
    try {
      const started = Date.now();
      const waited = await waitUntilQuiet(busy.pid!, { timeoutMs: 10_000 });
      // Busy for 2.5 s, then gone: quiet can only be seen after the busy loop has ended.
      assert.ok(waited === undefined || Date.now() - started >= 2000, `quiet after ${waited} ms`);
    } finally {
      busy.kill();
    }
    const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10_000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const waited = await waitUntilQuiet(idle.pid!, { timeoutMs: 5000 });
      assert.ok(waited !== undefined && waited < 3000, `idle process seen quiet after ${waited} ms`);
    } finally {
      idle.kill();
    }
  });
});
