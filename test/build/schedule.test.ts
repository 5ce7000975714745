import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { ScheduledTask } from 'node-cron';
import type { BuildResult } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import type { MemoryFile } from '../../src/http/feed-snapshot.js';
import { createLogger } from '../../src/logger.js';
import { buildAndPublish, scheduleBuilds } from '../../src/build/schedule.js';
import { builtFile, fakeBuildResult } from '../helpers/build-result.js';
import { collectingLogger } from '../helpers/logger.js';

const EVERY_SECOND = '* * * * * *';
const T1 = new Date('2025-01-01T00:00:00Z');
const T2 = new Date('2025-01-01T00:05:00Z');


const good = (body = '<rss>one</rss>'): BuildResult => fakeBuildResult([builtFile('ai.xml', body)]);

/** Tasks created by a test file; all destroyed when it ends, so no timer keeps the process alive. */
const tasks: ScheduledTask[] = [];
after(async () => {
  for (const task of tasks) await task.destroy();
});

describe('buildAndPublish', () => {
  it('publishes a successful build to the store and logs it', async () => {
    const store = new FeedStore();
    const { logger, entries } = collectingLogger();
    const built = good();
    const returned = await buildAndPublish({ build: async () => built, store, logger, clock: () => T1 }, { scheduled: false });
    assert.equal(returned, built);
    assert.equal(store.health().status, 'ok');
    assert.equal(store.health().lastBuild?.finishedAt, T1.toISOString());
    assert.equal((store.snapshot?.files.get('ai.xml') as MemoryFile | undefined)?.bodies.identity.toString(), '<rss>one</rss>');
    const info = entries.filter((entry) => entry.level === 'info');
    assert.equal(info.length, 1);
    assert.equal(info[0]?.msg, 'build finished');
    assert.equal(info[0]?.scheduled, false);
    assert.equal(info[0]?.published, 2);
  });

  it('keeps the previous snapshot, records the failure and logs an error when the build rejects', async () => {
    const store = new FeedStore();
    const { logger, entries } = collectingLogger();
    await buildAndPublish({ build: async () => good(), store, logger, clock: () => T1 }, { scheduled: false });
    const snapshot = store.snapshot;

    const returned = await buildAndPublish(
      {
        build: async () => {
          throw new Error('EACCES: permission denied');
        },
        store,
        logger,
        clock: () => T2,
      },
      { scheduled: true },
    );
    assert.equal(returned, undefined);
    assert.equal(store.snapshot, snapshot);
    const health = store.health();
    assert.equal(health.status, 'degraded');
    assert.equal(health.lastScheduledBuildFailed, true);
    assert.deepEqual(health.lastFailure, { at: T2.toISOString(), message: 'EACCES: permission denied' });

    const errors = entries.filter((entry) => entry.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.msg, /build failed/);
    assert.equal((errors[0]!.error as { message: string }).message, 'EACCES: permission denied');
  });

  it('does not throw when the build function throws synchronously', async () => {
    const store = new FeedStore();
    const { logger, entries } = collectingLogger();
    const build = (): Promise<BuildResult> => {
      throw new Error('sync failure');
    };
    assert.equal(await buildAndPublish({ build, store, logger }, { scheduled: false }), undefined);
    assert.equal(store.health().lastFailure?.message, 'sync failure');
    assert.equal(entries.filter((entry) => entry.level === 'error').length, 1);
  });
});

describe('scheduleBuilds', () => {
  it('returns a started task that runs the build and publishes it on execute()', async () => {
    const store = new FeedStore();
    let calls = 0;
    const task = scheduleBuilds({
      cron: EVERY_SECOND,
      build: async () => {
        calls++;
        return good();
      },
      store,
      logger: createLogger({ level: 'silent' }),
    });
    tasks.push(task);
    assert.notEqual(task.getStatus(), 'stopped');
    await task.execute();
    assert.ok(calls >= 1);
    assert.equal(store.health().status, 'ok');
    assert.equal((store.snapshot?.files.get('ai.xml') as MemoryFile | undefined)?.bodies.identity.toString(), '<rss>one</rss>');
    await task.destroy();
  });

  it('marks a failed scheduled build, and a later successful one clears the mark', async () => {
    const store = new FeedStore();
    store.publish(good(), T1);
    let fail = true;
    const task = scheduleBuilds({
      cron: EVERY_SECOND,
      build: async () => {
        if (fail) throw new Error('boom');
        return good('<rss>two</rss>');
      },
      store,
      logger: createLogger({ level: 'silent' }),
    });
    tasks.push(task);
    await task.stop();
    await task.execute();
    assert.equal(store.health().status, 'degraded');
    assert.equal(store.health().lastScheduledBuildFailed, true);
    assert.equal((store.snapshot?.files.get('ai.xml') as MemoryFile | undefined)?.bodies.identity.toString(), '<rss>one</rss>');

    fail = false;
    await task.execute();
    assert.equal(store.health().status, 'ok');
    assert.equal(store.health().lastScheduledBuildFailed, false);
    assert.equal((store.snapshot?.files.get('ai.xml') as MemoryFile | undefined)?.bodies.identity.toString(), '<rss>two</rss>');
    await task.destroy();
  });

  it('skips ticks while the previous build is still running, and logs a warning', async () => {
    const store = new FeedStore();
    const { logger, entries } = collectingLogger();
    let calls = 0;
    let finish: (result: BuildResult) => void = () => {};
    const task = scheduleBuilds({
      cron: EVERY_SECOND,
      build: () => {
        calls++;
        return new Promise<BuildResult>((resolve) => {
          finish = resolve;
        });
      },
      store,
      logger,
    });
    tasks.push(task);

    // Two or more ticks fall in 2.2 s; the first starts the build, which hangs.
    await delay(2200);
    await task.stop();
    assert.equal(calls, 1);
    assert.ok(
      entries.some((entry) => entry.level === 'warn' && entry.msg.includes('previous build is still running')),
      `expected an overlap warning, got ${JSON.stringify(entries)}`,
    );
    assert.equal(store.snapshot, undefined, 'nothing published while the build hangs');

    finish(good());
    await delay(0);
    assert.equal(store.health().status, 'ok');
    await task.destroy();
  });
});
