/**
 * BuildTrigger, the server's one queue of builds: a burst of content changes is one build after a
 * quiet period, a steady stream still builds by the maximum wait, and a change during a build
 * starts one more build when it ends. Every wait here is for a build the trigger starts (bounded),
 * never a fixed sleep.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BuildResult } from '../../src/build/build-feeds.js';
import { BuildTrigger } from '../../src/build/schedule.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { silentLogger } from '../../src/logger.js';
import { builtFile, fakeBuildResult } from '../helpers/build-result.js';

const NEVER = '0 0 1 1 *';
const triggers: BuildTrigger<BuildResult>[] = [];
after(async () => {
  for (const trigger of triggers) await trigger.stop();
});

/** A trigger whose builds are recorded, and a way to wait for the nth build to start. */
function triggerWith({ quietMs, maxWaitMs, hold = false }: { quietMs: number; maxWaitMs: number; hold?: boolean }) {
  const starts: number[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  let release: (() => void) | undefined;
  const trigger = new BuildTrigger<BuildResult>({
    cron: NEVER,
    build: async () => {
      starts.push(Date.now());
      for (const waiter of waiting.filter((candidate) => starts.length >= candidate.count)) waiter.resolve();
      if (hold && starts.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return fakeBuildResult([builtFile('ai.xml', `<rss>${starts.length}</rss>`)]);
    },
    store: new FeedStore(),
    logger: silentLogger,
    quietMs,
    maxWaitMs,
  });
  triggers.push(trigger);
  const builds = (count: number, within = 5000) =>
    new Promise<void>((resolve, reject) => {
      if (starts.length >= count) return resolve();
      const timer = setTimeout(() => reject(new Error(`only ${starts.length} of ${count} builds started within ${within} ms`)), within);
      waiting.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  return { trigger, starts, builds, release: () => release?.() };
}

describe('BuildTrigger: builds started by content changes', () => {
  it('makes one build of a burst of changes, once the folder has been quiet', async () => {
    const { trigger, starts, builds } = triggerWith({ quietMs: 50, maxWaitMs: 5000 });
    const first = Date.now();
    for (let change = 0; change < 10; change++) trigger.contentChanged();
    await builds(1);
    assert.ok(starts[0]! - first >= 45, `built ${starts[0]! - first} ms after the burst, before the quiet period`);
    // A second build would start within the quiet period after the first if the burst had made two.
    await assert.rejects(builds(2, 300));
    assert.equal(starts.length, 1);
  });

  it('builds by the maximum wait while changes keep coming', async () => {
    const { trigger, starts, builds } = triggerWith({ quietMs: 100, maxWaitMs: 250 });
    const first = Date.now();
    const stream = setInterval(() => trigger.contentChanged(), 20);
    trigger.contentChanged();
    try {
      await builds(1, 2000);
    } finally {
      clearInterval(stream);
    }
    const waited = starts[0]! - first;
    assert.ok(waited >= 240 && waited < 1000, `the first build started ${waited} ms after the first change`);
  });

  it('starts one more build after the running one when builds are asked for during it', async () => {
    const { trigger, builds, release, starts } = triggerWith({ quietMs: 10, maxWaitMs: 100, hold: true });
    const first = trigger.run('start');
    await builds(1);
    // While the first build runs, three more are asked for (as the quiet-period timer does).
    const during = [trigger.run('content changed'), trigger.run('content changed'), trigger.run('schedule')];
    release();
    await builds(2);
    await Promise.all([first, ...during]);
    await assert.rejects(builds(3, 200));
    assert.equal(starts.length, 2, 'the requests during the build made one build, not one each');
  });

  it('starts nothing once stopped', async () => {
    const { trigger, builds } = triggerWith({ quietMs: 10, maxWaitMs: 100 });
    await trigger.stop();
    trigger.contentChanged();
    await trigger.run('content changed');
    await assert.rejects(builds(1, 150));
  });
});
