import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { BuildResult } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import type { MemoryFile } from '../../src/http/feed-snapshot.js';
import { createLogger } from '../../src/logger.js';
import { buildAndPublish, BuildTrigger } from '../../src/build/schedule.js';
import { errorFromSummary, failureSummary, FeedServiceError } from '../../src/errors.js';
import { BuildStopped } from '../../src/build/build-stopped.js';
import { builtFile, fakeBuildResult } from '../helpers/build-result.js';
import { collectingLogger } from '../helpers/logger.js';

const EVERY_SECOND = '* * * * * *';
const NEVER = '0 0 1 1 *';
const T1 = new Date('2025-01-01T00:00:00Z');
const T2 = new Date('2025-01-01T00:05:00Z');


const good = (body = '<rss>one</rss>'): BuildResult => fakeBuildResult([builtFile('ai.xml', body)]);

/** Triggers created by a test file; all stopped when it ends, so no timer keeps the process alive. */
const triggers: BuildTrigger<BuildResult>[] = [];
after(async () => {
  for (const trigger of triggers) await trigger.stop();
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

  for (const [how, stoppedError] of [
    ['thrown by the host (its thread ended)', () => new FeedServiceError('BUILD_STOPPED', 'The server stopped during this build; the next start builds again.')],
    ["as the build thread's reply (data: no FeedServiceError)", () => errorFromSummary(failureSummary(new BuildStopped()))],
  ] as const) {
    it(`logs a build stopped by the server stopping (BUILD_STOPPED) at info, and records no failure: ${how}`, async () => {
      const store = new FeedStore();
      const { logger, entries } = collectingLogger();
      await buildAndPublish({ build: async () => good(), store, logger, clock: () => T1 }, { scheduled: false });
      const stopped = await buildAndPublish(
        {
          build: async () => {
            throw stoppedError();
          },
          store,
          logger,
          clock: () => T2,
        },
        { scheduled: true },
      );
      assert.equal(stopped, undefined);
      assert.equal(store.health().status, 'ok');
      assert.equal(store.health().lastFailure, null);
      assert.deepEqual(entries.filter((entry) => entry.level === 'error' || entry.level === 'warn'), []);
      assert.ok(entries.some((entry) => entry.level === 'info' && entry.msg === 'build stopped: the server is stopping'));
    });
  }

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

describe('BuildTrigger: the schedule', () => {
  const trigger = (options: Partial<ConstructorParameters<typeof BuildTrigger<BuildResult>>[0]> & Pick<ConstructorParameters<typeof BuildTrigger<BuildResult>>[0], 'build' | 'store'>) => {
    const created = new BuildTrigger<BuildResult>({ cron: NEVER, logger: createLogger({ level: 'silent' }), quietMs: 10, maxWaitMs: 100, ...options });
    triggers.push(created);
    return created;
  };

  it('builds on the cron schedule once started, and publishes the build', async () => {
    const store = new FeedStore();
    let ticked: () => void = () => {};
    const first = new Promise<void>((resolve) => (ticked = resolve));
    const scheduled = trigger({
      cron: EVERY_SECOND,
      build: async () => {
        ticked();
        return good();
      },
      store,
    });
    scheduled.start();
    // The first tick is at most a second away: a bounded wait for it, not a fixed sleep.
    await Promise.race([first, delay(3000).then(() => assert.fail('no scheduled build within 3 s'))]);
    await scheduled.stop();
    assert.equal(store.health().status, 'ok');
    assert.equal((store.snapshot?.files.get('ai.xml') as MemoryFile | undefined)?.bodies.identity.toString(), '<rss>one</rss>');
  });

  it('marks a failed scheduled build, and a later successful one clears the mark', async () => {
    const store = new FeedStore();
    store.publish(good(), T1);
    let fail = true;
    const scheduled = trigger({
      build: async () => {
        if (fail) throw new Error('boom');
        return good('<rss>two</rss>');
      },
      store,
    });
    await scheduled.scheduledBuild();
    assert.equal(store.health().status, 'degraded');
    assert.equal(store.health().lastScheduledBuildFailed, true);
    assert.equal((store.snapshot?.files.get('ai.xml') as MemoryFile | undefined)?.bodies.identity.toString(), '<rss>one</rss>');

    fail = false;
    await scheduled.scheduledBuild();
    assert.equal(store.health().status, 'ok');
    assert.equal(store.health().lastScheduledBuildFailed, false);
    assert.equal((store.snapshot?.files.get('ai.xml') as MemoryFile | undefined)?.bodies.identity.toString(), '<rss>two</rss>');
  });

  it('skips a tick while the previous build is still running, with a warning, and builds nothing for it later', async () => {
    const store = new FeedStore();
    const { logger, entries } = collectingLogger();
    let calls = 0;
    let finish: (result: BuildResult) => void = () => {};
    const scheduled = trigger({
      build: () => {
        calls++;
        return new Promise<BuildResult>((resolve) => {
          finish = resolve;
        });
      },
      store,
      logger,
    });
    const running = scheduled.scheduledBuild();
    assert.ok(running, 'the first tick starts a build');
    assert.equal(scheduled.scheduledBuild(), undefined, 'the second tick is skipped');
    assert.equal(calls, 1);
    assert.ok(
      entries.some((entry) => entry.level === 'warn' && entry.msg.includes('previous build is still running')),
      `expected an overlap warning, got ${JSON.stringify(entries)}`,
    );
    assert.equal(store.snapshot, undefined, 'nothing published while the build hangs');

    finish(good());
    await running;
    assert.equal(store.health().status, 'ok');
    assert.equal(calls, 1, 'the skipped tick did not build after the running build ended');
  });
});
