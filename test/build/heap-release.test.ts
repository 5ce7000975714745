import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createHeapReleaser, fullCollection, type HeapRelease } from '../../src/build/heap-release.js';
import { BUILD_YOUNG_GENERATION_MB } from '../../src/build/start-thread.js';

const MB = 1024 * 1024;

/** A releaser over a heap whose size the test sets, counting the collections it asks for. */
function fakeHeap(options: { idleMs?: number; busy?: () => boolean; collects?: boolean } = {}) {
  const heap = { bytes: 100 * MB, live: 50 * MB, collections: 0, releases: [] as HeapRelease[] };
  const releaser = createHeapReleaser({
    collect:
      options.collects === false
        ? null
        : () => {
            heap.collections++;
            heap.bytes -= 10 * MB;
          },
    heapBytes: () => heap.bytes,
    liveBytes: () => heap.live,
    growthBytes: 64 * MB,
    maxLiveBytes: 512 * MB,
    idleMs: options.idleMs ?? 20,
    isBusy: options.busy,
    onRelease: (release) => heap.releases.push(release),
  });
  return { heap, releaser };
}

describe('createHeapReleaser', () => {
  it('does nothing after work that grew the heap by no more than the threshold', async () => {
    const { heap, releaser } = fakeHeap();
    heap.bytes += 64 * MB;
    releaser.afterWork();
    await sleep(60);
    assert.equal(heap.collections, 0);
    assert.deepEqual(heap.releases, []);
  });

  it('collects as the work ends, and again once the thread has been idle', async () => {
    const { heap, releaser } = fakeHeap();
    heap.bytes += 200 * MB;
    releaser.afterWork();
    assert.equal(heap.collections, 1, 'the first collection is made at once');
    await sleep(60);
    assert.equal(heap.collections, 2);
    assert.deepEqual(
      heap.releases.map(({ beforeBytes, afterBytes }) => ({ beforeBytes, afterBytes })),
      [{ beforeBytes: 300 * MB, afterBytes: 280 * MB }],
    );
    assert.ok(heap.releases[0]!.pausesMs.every((pause) => Number.isInteger(pause) && pause >= 0));
  });

  it('makes no collection while more than maxLiveBytes of the heap is in use', async () => {
    const { heap, releaser } = fakeHeap();
    heap.bytes += 1024 * MB;
    heap.live = 513 * MB;
    releaser.afterWork();
    await sleep(60);
    assert.equal(heap.collections, 0);
    heap.live = 512 * MB;
    releaser.afterWork();
    await sleep(60);
    assert.equal(heap.collections, 2);
  });

  it('measures growth from the heap as the last collection left it', async () => {
    const { heap, releaser } = fakeHeap();
    heap.bytes += 200 * MB;
    releaser.afterWork();
    await sleep(60);
    heap.bytes += 50 * MB; // 330 MB, 50 MB above the 280 MB left
    releaser.afterWork();
    await sleep(60);
    assert.equal(heap.collections, 2);
    heap.bytes += 20 * MB;
    releaser.afterWork();
    await sleep(60);
    assert.equal(heap.collections, 4);
  });

  it('puts off the second collection while work is under way, and makes it after that work', async () => {
    let busy = true;
    const { heap, releaser } = fakeHeap({ busy: () => busy });
    heap.bytes += 200 * MB;
    releaser.afterWork();
    await sleep(60);
    assert.equal(heap.collections, 1, 'not while busy');
    busy = false;
    releaser.afterWork(); // the other work ended, without growing the heap
    await sleep(60);
    assert.equal(heap.collections, 2);
    assert.equal(heap.releases.length, 1);
  });

  it('work that ends before the wait is over starts the wait again', async () => {
    const { heap, releaser } = fakeHeap({ idleMs: 80 });
    heap.bytes += 200 * MB;
    releaser.afterWork();
    await sleep(40);
    releaser.afterWork();
    await sleep(50);
    assert.equal(heap.collections, 1, 'the wait began again at the second end of work');
    await sleep(80);
    assert.equal(heap.collections, 2);
  });

  it('cancel forgets the second collection', async () => {
    const { heap, releaser } = fakeHeap();
    heap.bytes += 200 * MB;
    releaser.afterWork();
    releaser.cancel();
    await sleep(60);
    assert.equal(heap.collections, 1);
    assert.deepEqual(heap.releases, []);
  });

  it('without a collection function it does nothing', async () => {
    const { heap, releaser } = fakeHeap({ collects: false });
    heap.bytes += 500 * MB;
    releaser.afterWork();
    await sleep(60);
    assert.deepEqual(heap.releases, []);
  });
});

/**
 * In a thread with the build thread's young generation, after work that allocated a lot and
 * dropped it: the heap's size after the first collection and after the second (made after the
 * shipped wait, SECOND_COLLECTION_AFTER_MS), against before.
 */
const THREAD = `
const { parentPort } = require('node:worker_threads');
const { getHeapStatistics, getHeapSpaceStatistics } = require('node:v8');
const newSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size;
// 'on', not 'once': the open port keeps the thread alive, as the build thread's does (the wait's timer does not).
parentPort.on('message', async ({ modulePath }) => {
  const { createHeapReleaser } = await import(modulePath);
  const sizes = [];
  const releaser = createHeapReleaser({
    onRelease: (release) => parentPort.postMessage({ release, newSpace: newSpace(), sizes }),
  });
  // Every batch kept until the work ends, so that it all reaches the old generation (about 250 MB
  // of garbage once dropped); keeping a quarter of them left 90-130 MB, too near the 100 MB asked.
  let kept = [];
  for (let round = 0; round < 40; round++) {
    const batch = [];
    for (let i = 0; i < 100000; i++) batch.push({ i, text: 'article ' + i });
    kept.push(batch);
  }
  parentPort.postMessage({ before: getHeapStatistics().total_heap_size, newSpace: newSpace() });
  kept = undefined;
  releaser.afterWork();
  sizes.push(getHeapStatistics().total_heap_size);
});
`;

describe('fullCollection and the two collections in a thread like the build thread', () => {
  it('a function that collects is available without --expose-gc', () => {
    const collect = fullCollection();
    assert.equal(typeof collect, 'function');
    collect!();
  });

  it('gives back the old generation at once and the young generation after the wait', { timeout: 60_000 }, async () => {
    const modulePath = new URL('../../src/build/heap-release.ts', import.meta.url).href;
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const worker = new Worker(`(async () => { const { register } = await import(${tsx}); register(); })().then(() => { ${THREAD} });`, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: BUILD_YOUNG_GENERATION_MB },
    });
    try {
      const messages: Array<Record<string, unknown>> = [];
      // Each message within 20 s, or the test fails (and the finally below ends the thread).
      const next = () =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no message from the thread within 20 s')), 20_000);
          worker.once('message', (message: Record<string, unknown>) => {
            clearTimeout(timer);
            resolve(message);
          });
          worker.once('error', reject);
        });
      worker.postMessage({ modulePath });
      messages.push(await next());
      messages.push(await next());
      const [work, done] = messages as [{ before: number; newSpace: number }, { release: HeapRelease; newSpace: number; sizes: number[] }];
      assert.ok(work.newSpace > 32 * MB, `the young generation grew during the work (${work.newSpace} bytes)`);
      assert.ok(done.sizes[0]! < work.before - 100 * MB, `the first collection freed the old generation: ${work.before} then ${done.sizes[0]} bytes`);
      assert.ok(done.newSpace < 8 * MB, `the second shrank the young generation: ${work.newSpace} then ${done.newSpace} bytes`);
      assert.ok(done.release.afterBytes < done.sizes[0]! - 24 * MB, `the second collection gave back more: ${done.sizes[0]} then ${done.release.afterBytes} bytes`);
    } finally {
      await worker.terminate();
    }
  });
});
