import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) {
    rmSync(dir, { recursive: true, force: true });
    // testConfig (helpers/config.ts) keeps a build's state beside its feeds folder.
    rmSync(`${dir}.state`, { recursive: true, force: true });
  }
});

/**
 * A fresh temporary folder, removed when the test process exits. (node:test's `after()` called
 * from inside a `before()` hook runs right after that hook, which would remove it too early.)
 */
export async function makeTempDir(prefix = 'feeds-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}
