import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LOCK_NAME, lockFeedsFolder } from '../../src/build/feeds-lock.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A process of this machine that runs until killed, and its pid. */
function otherProcess(): { pid: number; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const holderOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, LOCK_NAME), 'utf8')) as { pid: number; host: string; role: string };

describe('lockFeedsFolder: one process at a time builds into a feeds folder', () => {
  it('makes the folder, names this process in the lock, and removes it when released', async () => {
    const dir = path.join(await makeTempDir('lock-'), 'feeds');
    const lock = lockFeedsFolder(dir, 'a test');
    assert.deepEqual([holderOf(dir).pid, holderOf(dir).host, holderOf(dir).role], [process.pid, hostname(), 'a test']);
    lock.release();
    assert.equal(existsSync(path.join(dir, LOCK_NAME)), false);
  });

  it('refuses a folder another running process of this machine holds, naming it (FEEDS_DIR_IN_USE)', async (t) => {
    const dir = await makeTempDir('lock-');
    const other = otherProcess();
    t.after(other.stop);
    writeFileSync(path.join(dir, LOCK_NAME), JSON.stringify({ pid: other.pid, host: hostname(), role: 'a server', since: '2026-12-07T00:00:00.000Z' }));
    assert.throws(() => lockFeedsFolder(dir, 'npm run build:feeds'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'FEEDS_DIR_IN_USE');
      assert.match(error.message, new RegExp(`in use by a server \\(process ${other.pid}, since 2026-12-07T00:00:00.000Z\\)`));
      return true;
    });
    assert.equal(holderOf(dir).pid, other.pid, 'the holder keeps its lock');
  });

  it('takes over a lock left by a process that is gone, by another machine, or cut short', async () => {
    const gone = otherProcess();
    await gone.stop();
    const left = [
      JSON.stringify({ pid: gone.pid, host: hostname(), role: 'a server' }),
      JSON.stringify({ pid: process.ppid, host: `not-${hostname()}`, role: 'a server' }),
      '{"pid": 12',
    ];
    for (const text of left) {
      const dir = await makeTempDir('lock-');
      writeFileSync(path.join(dir, LOCK_NAME), text);
      const lock = lockFeedsFolder(dir, 'a test');
      assert.equal(holderOf(dir).pid, process.pid, text);
      lock.release();
    }
  });
});
