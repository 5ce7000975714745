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
      assert.ok(flags.includes('--max-semi-space-size=64'), script);
    }
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
