import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { compiledPath } from '../../bench/compiled.js';
import { isServerScript } from '../../bench/service.js';
import { commandLine, descendantPids, nodeArgs, npmScriptArgs, npmScriptNodeFlags, peakRssKb, REPO_ROOT, ServerProcess } from '../../bench/processes.js';

describe('bench processes: the service runs as its npm scripts run it', () => {
  it('reads the node flags of `npm start` and `npm run build:feeds` from package.json', () => {
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const script of ['start', 'build:feeds'] as const) {
      const flags = npmScriptNodeFlags(script);
      assert.ok(flags.length > 0, script);
      assert.ok([`node ${flags.join(' ')} dist/`, `node ${flags.join(' ')} scripts/ensure-built.mjs --run dist/`].some((run) => scripts[script]!.includes(run)), `${script}: ${flags.join(' ')}`);
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
    assert.ok(existsSync(main) && existsSync(compiledPath(REPO_ROOT, 'src/build/thread-main.ts')), 'src/ compiled, worker modules included');
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

describe('bench processes: what npm starts', () => {
  it('runs the npm scripts as users do, without the banner', () => {
    assert.deepEqual(npmScriptArgs('start'), ['start', '--silent']);
    assert.deepEqual(npmScriptArgs('build:feeds'), ['run', 'build:feeds', '--silent']);
  });

  it("finds `npm start`'s server by its command line: node running main.js, not the shell around it", () => {
    assert.equal(isServerScript(['node', '--max-old-space-size=8192', 'dist/main.js']), true);
    assert.equal(isServerScript(['/usr/bin/node', '/srv/app/dist/main.js']), true);
    assert.equal(isServerScript(['sh', '-c', 'node scripts/ensure-built.mjs && node --max-old-space-size=8192 dist/main.js']), false);
    assert.equal(isServerScript(['node', '--max-old-space-size=8192', 'scripts/ensure-built.mjs', '--run', 'dist/main.js']), true, 'npm start: the compile check then the server, in one process');
    assert.equal(isServerScript(['node', 'scripts/ensure-built.mjs']), false);
  });

  it("takes a run's peak RSS from its node processes, npm's own left out", () => {
    const npm = { maxRssKb: 90_000, script: '/usr/lib/node_modules/npm/bin/npm-cli.js' };
    const check = { maxRssKb: 40_000, script: '/srv/app/scripts/ensure-built.mjs' };
    const build = { maxRssKb: 60_000, script: '/srv/app/dist/cli/build-feeds.js' };
    assert.equal(peakRssKb([check, build, npm]), 60_000);
    assert.equal(peakRssKb([check, build, { ...npm, script: '/usr/bin/npm' }]), 60_000, 'npm as found on PATH');
    assert.equal(peakRssKb([npm]), 90_000, 'npm alone: its figure rather than none');
    assert.equal(peakRssKb([]), undefined);
  });

  it('measures and stops the node process below a shell, not the shell, and leaves nothing behind', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    // Like npm: a shell whose one argument ends with the script's name, running node.
    const script = `${JSON.stringify(process.execPath)} -e "setInterval(() => {}, 1000)" main.js; true`;
    const server = new ServerProcess('shell', ['-c', script], { PATH: process.env.PATH ?? '' }, REPO_ROOT, 'sh');
    try {
      let node: number | undefined;
      for (let attempt = 0; attempt < 50 && node === undefined; attempt++) {
        node = descendantPids(server.child.pid!).find((pid) => commandLine(pid)[0] === process.execPath);
        if (node === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(node !== undefined, 'the node child started');
      const attached = server.attachDescendant((argv) => argv[0] === process.execPath && argv.includes('main.js'));
      assert.equal(attached, node);
      assert.equal(server.pid, node);
      assert.ok(server.rssKb() > 0);
      await server.stop(2000);
      assert.deepEqual(commandLine(node), [], 'the node process is gone');
      assert.ok(server.exited);
    } finally {
      await server.stop(100);
    }
  });
});
