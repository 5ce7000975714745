import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { elapsedMs, ms } from './build-result.js';

/**
 * A long-lived thread that builds gives back, after a build or a save that grew its heap, the
 * memory that work used and no longer needs. V8 keeps the pages a heap grew into, and its young
 * generation at full size (192 MB in the build thread: start-thread.ts), and its memory reducer
 * never ran in the build thread: at 100k articles the heap stayed at 465 MB (227 MB of it in use)
 * long after the server's first build, 160-180 MB of the server's resident set.
 *
 * It takes three full collections. The first, as the work ends (or FIRST_COLLECTION_AFTER_MS after,
 * when the main thread is taking a large result), frees the old generation's garbage. The young
 * generation shrinks in a collection only when the thread allocated little over the last 5 s
 * (Heap::ReduceNewSpaceSize), which a collection right after a build never sees: measured in a
 * thread like the build's, the first left its 134 MB young generation as it was, a second one 6 s
 * later took it to 1 MB (and one 14 s after the work, with no collection between, did not). That
 * rate is measured from the last collection, so after a burst of small builds (the watcher's, a few
 * megabytes each) it counts whatever the last builds allocated after V8's last scavenge: at 100k
 * articles the young generation had grown to 128 MB over 60 one-file builds and stayed so after the
 * second collection in two runs of three. When the second leaves the young generation larger than
 * YOUNG_GENERATION_RELEASED_BYTES, it is made again after another wait, which then follows a
 * collection with nothing allocated since (in a thread with such a burst behind it, 128 MB then
 * 1 MB). The third, in a task of its own right after the second (work that arrived during the
 * second is taken first, and the idle step made again after it), compacts the old generation
 * (`compacting`): the objects a build leaves are spread thinly over the pages it grew into, which a
 * full collection keeps (at 100k articles 247 MB of old space held 159 MB of objects after the
 * first two; after the third, 162 MB, and the server's resident set 507 MB instead of 595).
 * Compacting copies every object it keeps before it frees a page, so it comes last, once the young
 * generation is given back: made in the first collection it raised the server's peak from 790 MB
 * to 1 003 MB, in the second to 935 MB; third, the peak stays the build's own (799 MB).
 * Not for a large heap (RELEASE_MAX_LIVE_BYTES), where the pauses cost more than they give.
 *
 * During a burst, each work's end is also a scavenge (V8's young-generation collection, about a
 * millisecond in a thread like the build's), made while the young generation holds the least:
 * what the work left, not what it was in the middle of. V8 doubles the young generation whenever
 * what its scavenges kept since it last grew exceeds its size, and the scavenges V8 makes by
 * itself come mid-build, keeping that build's working set: over 100 one-file builds at 100k
 * articles it grew to 128 MB (session 19's measure), and the server's resident set by 17-18 %
 * (two runs by hand). With a scavenge between builds fewer come mid-build and it grows later:
 * 4-11 % (two runs).
 */
export interface HeapReleaser {
  /**
   * Work (a build, a save) has ended: scavenges; if the heap grew by more than `growthBytes` since
   * the last collection and holds at most `maxLiveBytes` in use, collects now (`deferFirst`: the
   * main thread is taking a large result, so `firstAfterMs` from now), and again, then
   * compacting, once the thread has been idle `idleMs`.
   */
  afterWork(options?: { readonly deferFirst?: boolean }): void;
  /** Forgets a collection that is waiting (the thread is stopping). */
  cancel(): void;
}

/** The heap's size before the first collection and after the last, in bytes, and how long each held the thread. */
export interface HeapRelease {
  readonly beforeBytes: number;
  readonly afterBytes: number;
  /** The first collection's pause, the second's (both tries, when it was made again), and the compacting one's. */
  readonly pausesMs: readonly [number, number, number];
  /** The young generation's size after the second collection: 1-2 MB when it was given back. */
  readonly youngBytes: number;
  /** Whether the second collection was made again after another wait (it had left the young generation as it was). */
  readonly secondAgain: boolean;
}

/**
 * Heap growth since the last full collection that makes one worth its pause (0.1-0.3 s at 100k
 * articles). A cache save at 100k grew it by 50 MB (300 to 350 MB; the server's RSS 590 to 625 MB,
 * and back after the collections); a watcher's one-file build grows it by a few.
 */
export const HEAP_GROWTH_TO_RELEASE_BYTES = 32 * 1024 * 1024;
/**
 * Above this much live heap the collections are not made: each holds the thread for about 1 ms per
 * MB of it (220 and 189 ms at 100k articles, 260 MB live after; 2.6 and 2.5 s at a million, 2.7 GB
 * live, for 7 % of the heap), and a change that arrives meanwhile waits for them.
 */
export const RELEASE_MAX_LIVE_BYTES = 512 * 1024 * 1024;
/** Longer than the 5 s over which V8 measures the allocation rate that lets it shrink the young generation. */
export const SECOND_COLLECTION_AFTER_MS = 6_000;
/**
 * After work whose result the main thread is taking in bulk (afterWork's `deferFirst`), the first
 * collection waits this long: the main thread then swaps the served snapshot and collects what
 * the old one held. Made at once, the build thread's collection (about 0.3 s at 100k articles) ran
 * beside the main thread's, which then held requests for 0.28-0.46 s (measured with a 5 ms
 * interval timer in the main thread over cold rebuilds of 100k articles in a running server: 283,
 * 315 and 464 ms); 1.5-2 s later, 46-54 ms. Not after small work: in a stream of one-file builds
 * each would start the wait again, and none would be made (the server's resident set grew by 29 %
 * over 100 such builds instead of 1-3 %).
 */
export const FIRST_COLLECTION_AFTER_MS = 2_000;
/**
 * A young generation no larger than this after the second collection was given back (V8 shrinks
 * it to 1-2 MB); a larger one was kept, and the second collection is made again after a wait.
 */
export const YOUNG_GENERATION_RELEASED_BYTES = 8 * 1024 * 1024;

/** The young generation's committed size (V8's new space), in bytes. */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

/** V8's full collection as a function; null if this runtime will not give it. */
export function fullCollection(): (() => void) | null {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    // The way jest's leak detector gets it: a context made after the flag is set has `gc`. The
    // flag is process-wide and only adds that function; it changes nothing else.
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/** V8's young-generation collection (a scavenge) as a function; null if this runtime will not give one. */
export function youngCollection(): (() => void) | null {
  const collect = fullCollection() as ((options?: { type: 'minor' | 'major' }) => void) | null;
  return collect && (() => collect({ type: 'minor' }));
}

/**
 * `collect` made to compact the whole old generation: V8's flag for it is read at each
 * collection, so it is set for this one and cleared after (the flag is process-wide; any
 * collection another thread makes meanwhile compacts too, which only costs it time).
 */
export function compacting(collect: () => void): () => void {
  return () => {
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      collect();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}

export function createHeapReleaser({
  collect = fullCollection(),
  compact = collect && compacting(collect),
  scavenge = collect && youngCollection(),
  heapBytes = () => getHeapStatistics().total_heap_size,
  liveBytes = () => getHeapStatistics().used_heap_size,
  youngBytes = youngGenerationBytes,
  growthBytes = HEAP_GROWTH_TO_RELEASE_BYTES,
  maxLiveBytes = RELEASE_MAX_LIVE_BYTES,
  idleMs = SECOND_COLLECTION_AFTER_MS,
  firstAfterMs = FIRST_COLLECTION_AFTER_MS,
  isBusy = () => false,
  onRelease = () => {},
}: {
  /** null: this runtime gives none, and the releaser does nothing. */
  readonly collect?: (() => void) | null;
  /** A collection that compacts the old generation (default: `compacting(collect)`). */
  readonly compact?: (() => void) | null;
  /** The young generation's collection, made after each work (default: youngCollection()). */
  readonly scavenge?: (() => void) | null;
  /** The heap's committed size. */
  readonly heapBytes?: () => number;
  /** The part of it in use. */
  readonly liveBytes?: () => number;
  /** The young generation's committed size. */
  readonly youngBytes?: () => number;
  readonly growthBytes?: number;
  readonly maxLiveBytes?: number;
  readonly idleMs?: number;
  /** How long after the work the first collection is made when afterWork is told to defer it. */
  readonly firstAfterMs?: number;
  /** Work under way when the wait ends: its own end arms the wait again. */
  readonly isBusy?: () => boolean;
  readonly onRelease?: (release: HeapRelease) => void;
} = {}): HeapReleaser {
  let afterLastCollection = heapBytes();
  /**
   * While the second collection is due: the heap's size before the first and that one's pause,
   * and the pause of a second collection that left the young generation as it was (made again).
   */
  let secondDue: { readonly beforeBytes: number; readonly pauseMs: number; secondPauseMs?: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  /** Arms `step` after `delayMs`; a collection never keeps the thread alive. */
  const after = (delayMs: number, step: () => void) => {
    timer = setTimeout(step, delayMs);
    timer.unref();
  };
  const compaction = (secondPauseMs: number, young: number, again: boolean) => {
    timer = undefined;
    // Work that arrived during the second collection comes first; when it ends, afterWork arms
    // the idle step again (secondDue is still set).
    if (secondDue === undefined || isBusy()) return;
    const compactionMs = compact ? timed(compact) : 0;
    afterLastCollection = heapBytes();
    onRelease({ beforeBytes: secondDue.beforeBytes, afterBytes: afterLastCollection, pausesMs: [secondDue.pauseMs, secondPauseMs, compactionMs], youngBytes: young, secondAgain: again });
    secondDue = undefined;
  };
  /** The first collection (the heap was `beforeBytes` as the work ended), then the wait for the second. */
  const first = (beforeBytes: number) => {
    const pauseMs = timed(collect!);
    afterLastCollection = heapBytes();
    secondDue ??= { beforeBytes, pauseMs };
    after(idleMs, second);
  };
  const second = () => {
    timer = undefined;
    if (collect === null || secondDue === undefined || isBusy()) return;
    const pauseMs = timed(collect);
    afterLastCollection = heapBytes();
    const young = youngBytes();
    const earlier = secondDue.secondPauseMs;
    if (earlier === undefined && young > YOUNG_GENERATION_RELEASED_BYTES) {
      // Kept: the rate V8 measured included the work's last allocations. After another wait it
      // measures from this collection.
      secondDue.secondPauseMs = pauseMs;
      after(idleMs, second);
      return;
    }
    const again = earlier !== undefined;
    const secondPauseMs = pauseMs + (earlier ?? 0);
    // The compaction holds the thread twice as long: made in a task of its own, after the
    // messages (a change to build) that came in meanwhile.
    after(0, () => compaction(secondPauseMs, young, again));
  };
  return {
    cancel,
    afterWork({ deferFirst = false } = {}) {
      scavenge?.();
      if (collect === null) return;
      cancel();
      // Work since a second collection that kept the young generation: its allocations count again.
      if (secondDue) secondDue.secondPauseMs = undefined;
      const beforeBytes = heapBytes();
      if (beforeBytes - afterLastCollection > growthBytes && liveBytes() <= maxLiveBytes) {
        if (!deferFirst) return first(beforeBytes);
        // Work that comes during the wait ends with afterWork, which measures the growth again.
        after(firstAfterMs, () => {
          timer = undefined;
          if (!isBusy()) first(beforeBytes);
        });
        return;
      }
      if (secondDue === undefined) return;
      after(idleMs, second);
    },
  };
}

function timed(work: () => void): number {
  const started = performance.now();
  work();
  return ms(elapsedMs(started));
}
