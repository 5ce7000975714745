import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LOCK_NAMES, lockBuildFolders, lockFolder } from '../../src/build/folder-locks.js';
import { DiskWriteError } from '../../src/build/disk-write-error.js';
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

const LOCK_NAME = LOCK_NAMES.FEEDS_DIR;
const holderOf = (dir: string, name: string = LOCK_NAME) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { pid: number; host: string; role: string };
const lockFeedsFolder = (dir: string, role: string) => lockFolder(dir, 'FEEDS_DIR', role);

describe('lockFolder: one process at a time builds into a feeds folder', () => {
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

describe('lockBuildFolders: the feeds folder and the state folder, both or neither', () => {
  it('takes both locks, naming this process, and releases both', async () => {
    const base = await makeTempDir('locks-');
    const folders = { feedsDir: path.join(base, 'feeds'), stateDir: path.join(base, 'state') };
    const lock = lockBuildFolders(folders, 'a test');
    assert.equal(holderOf(folders.feedsDir).pid, process.pid);
    assert.equal(holderOf(folders.stateDir, LOCK_NAMES.STATE_DIR).pid, process.pid);
    lock.release();
    assert.deepEqual([existsSync(path.join(folders.feedsDir, LOCK_NAMES.FEEDS_DIR)), existsSync(path.join(folders.stateDir, LOCK_NAMES.STATE_DIR))], [false, false]);
  });

  it('refuses a state folder another running process holds (STATE_DIR_IN_USE), and gives the feeds folder back', async (t) => {
    const base = await makeTempDir('locks-');
    const folders = { feedsDir: path.join(base, 'feeds-b'), stateDir: path.join(base, 'state') };
    const other = otherProcess();
    t.after(other.stop);
    // Another process builds into its own feeds folder with the same STATE_DIR.
    const otherLock = lockFolder(folders.stateDir, 'STATE_DIR', 'a test');
    writeFileSync(path.join(folders.stateDir, LOCK_NAMES.STATE_DIR), JSON.stringify({ pid: other.pid, host: hostname(), role: 'a server', since: '2026-12-07T00:00:00.000Z' }));
    assert.throws(() => lockBuildFolders(folders, 'npm run build:feeds'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'STATE_DIR_IN_USE');
      assert.match(error.message, new RegExp(`^STATE_DIR \\(${folders.stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) is in use by a server \\(process ${other.pid}`));
      assert.match(error.message, /build cache/);
      return true;
    });
    assert.equal(existsSync(path.join(folders.feedsDir, LOCK_NAMES.FEEDS_DIR)), false, 'the feeds folder lock it took is given back');
    assert.equal(holderOf(folders.stateDir, LOCK_NAMES.STATE_DIR).pid, other.pid, 'the holder keeps its lock');
    otherLock.release();
  });

  it('goes on without a lock that cannot be written when told to (the server on a read-only disk), and throws otherwise', async () => {
    const base = await makeTempDir('locks-');
    // A state folder that is a file cannot take a lock: a DiskWriteError, as a build's write would be.
    const stateDir = path.join(base, 'state-file');
    writeFileSync(stateDir, 'not a folder');
    const folders = { feedsDir: path.join(base, 'feeds'), stateDir };
    assert.throws(() => lockBuildFolders(folders, 'npm run build:feeds'), DiskWriteError);
    assert.equal(existsSync(path.join(folders.feedsDir, LOCK_NAMES.FEEDS_DIR)), false);
    const unwritable: string[] = [];
    const lock = lockBuildFolders(folders, 'a server', (_error, setting) => unwritable.push(setting));
    assert.deepEqual(unwritable, ['STATE_DIR']);
    assert.equal(holderOf(folders.feedsDir).pid, process.pid, 'the feeds folder is still locked');
    lock.release();
  });
});
