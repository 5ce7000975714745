/**
 * The stat of every file of a full scan, taken by the calling thread and a helper thread
 * (stat-thread-main.ts) together: at 100k files the calls alone take about 0.4 s on one core,
 * and a scan that finds nothing changed is little else. The helper starts as soon as the folder
 * is listed, so a new process loads its cache meanwhile (scan-content.ts, surveyContent). Both
 * claim chunks of the candidates from a shared counter and write what they find into shared
 * memory, so nothing is sent but "done". A helper that fails leaves its chunks to the calling
 * thread.
 */
import { candidateFileStats, type ContentCandidate, type FileStat } from '../content/read-content.js';
import { startThread } from './start-thread.js';

/** Below this many files the helper costs more than it saves (its start-up is 20-40 ms). */
export const PARALLEL_THRESHOLD = 10_000;

/** Files a thread claims at a time. */
const STAT_CHUNK = 512;

/** Numbers per file in the shared results: size, mtimeMs, ctimeMs, ino. */
const FIELDS = 4;

/** What the helper is given (stat-thread-main.ts), all of it shared with the calling thread. */
export interface StatThreadData {
  readonly root: string;
  /** The candidates' relative paths, joined by NUL. */
  readonly relatives: string;
  readonly shared: SharedStats;
}

export interface SharedStats {
  /** The next candidate index nobody has claimed. */
  readonly next: Int32Array;
  /** FIELDS numbers per candidate. */
  readonly numbers: Float64Array;
  /** Per candidate: 1 when it is a file and its numbers are set. */
  readonly isFile: Uint8Array;
  /** Per chunk: 1 once its stats are all written. */
  readonly chunkDone: Uint8Array;
}

/** The candidates' paths (relative to the folder) by index. */
export interface CandidatePaths {
  readonly count: number;
  relativeAt(index: number): string;
}

/** The calling thread's: the listing's own candidates. */
export function listedPaths(candidates: readonly ContentCandidate[]): CandidatePaths {
  return { count: candidates.length, relativeAt: (index) => candidates[index]!.relative };
}

/**
 * The helper's: `count` paths joined by NUL (which no file name holds), each cut out when it is
 * stat-ed. An array of 100 000 strings made up front would live in the helper's young generation
 * and be copied by each of its collections, before its first stat (about 50 ms at 100k).
 */
export function joinedPaths(joined: string, count: number): CandidatePaths {
  // starts[index] is where path `index` begins; starts[count] is one past the end, as if a NUL followed the last.
  const starts = new Int32Array(count + 1);
  for (let index = 1, at = joined.indexOf('\0'); index < count; index++, at = joined.indexOf('\0', at + 1)) starts[index] = at + 1;
  starts[count] = joined.length + 1;
  return { count, relativeAt: (index) => joined.slice(starts[index]!, starts[index + 1]! - 1) };
}

/** Stats the candidates [start, start + STAT_CHUNK) claimed from `next` until none are left. */
export function statClaimedChunks(root: string, paths: CandidatePaths, shared: SharedStats): void {
  for (let start = Atomics.add(shared.next, 0, STAT_CHUNK); start < paths.count; start = Atomics.add(shared.next, 0, STAT_CHUNK)) {
    statChunk(root, paths, shared, start);
  }
}

function statChunk(root: string, paths: CandidatePaths, shared: SharedStats, start: number): void {
  const end = Math.min(paths.count, start + STAT_CHUNK);
  for (let index = start; index < end; index++) statInto(root, paths, shared, index);
  Atomics.store(shared.chunkDone, start / STAT_CHUNK, 1);
}

/** Writes candidate `index`'s stat into the table, straight from what statSync made (no object of its own). */
function statInto(root: string, paths: CandidatePaths, table: Pick<SharedStats, 'numbers' | 'isFile'>, index: number): void {
  putStat(table, index, candidateFileStats(root, paths.relativeAt(index)));
}

/**
 * Sets row `index` of a stats table: the four numbers of `stat` (a FileStat, or statSync's Stats
 * as it is), or no file. (A chunk a failed helper left unfinished is done again: a file it found
 * may be gone since.)
 */
function putStat({ numbers, isFile }: Pick<SharedStats, 'numbers' | 'isFile'>, index: number, stat: FileStat | undefined): void {
  if (stat === undefined) {
    isFile[index] = 0;
    return;
  }
  const at = index * FIELDS;
  numbers[at] = stat.size;
  numbers[at + 1] = stat.mtimeMs;
  numbers[at + 2] = stat.ctimeMs;
  numbers[at + 3] = stat.ino;
  isFile[index] = 1;
}

/**
 * The stats of a listing's candidates, in candidate order, kept as numbers (FIELDS per candidate)
 * rather than an object per file: at 100k files a scan that finds nothing changed compares them
 * where they are, and a new process's listing print hashes them as they are.
 */
export class CandidateStats {
  /** Per candidate: size, mtimeMs, ctimeMs and inode; zeros where it is no file. */
  readonly numbers: Float64Array;
  /** Per candidate: 1 when it is a file (its numbers set), 0 when not (or gone). */
  readonly isFile: Uint8Array;

  constructor(numbers: Float64Array, isFile: Uint8Array) {
    this.numbers = numbers;
    this.isFile = isFile;
  }

  /** A table for `count` candidates in this thread's own memory, every row "no file". */
  static sized(count: number): CandidateStats {
    return new CandidateStats(new Float64Array(count * FIELDS), new Uint8Array(count));
  }

  /** From a stat (or undefined: no file) per candidate. */
  static of(stats: readonly (FileStat | undefined)[]): CandidateStats {
    const table = CandidateStats.sized(stats.length);
    stats.forEach((stat, index) => putStat(table, index, stat));
    return table;
  }

  get length(): number {
    return this.isFile.length;
  }

  /** Candidate `index`'s stat; undefined when it is no file. */
  at(index: number): FileStat | undefined {
    if (this.isFile[index] !== 1) return undefined;
    const at = index * FIELDS;
    const numbers = this.numbers;
    return { size: numbers[at]!, mtimeMs: numbers[at + 1]!, ctimeMs: numbers[at + 2]!, ino: numbers[at + 3]! };
  }

  /** Whether candidate `index` is a file whose stat is `stat`'s in all four numbers (sameStat, without making the object). */
  is(index: number, stat: FileStat): boolean {
    const at = index * FIELDS;
    const numbers = this.numbers;
    return this.isFile[index] === 1 && numbers[at] === stat.size && numbers[at + 1] === stat.mtimeMs && numbers[at + 2] === stat.ctimeMs && numbers[at + 3] === stat.ino;
  }
}

/** Shared memory for the stats of `count` candidates. */
export function sharedStats(count: number): SharedStats {
  return {
    next: new Int32Array(new SharedArrayBuffer(4)),
    numbers: new Float64Array(new SharedArrayBuffer(count * FIELDS * 8)),
    isFile: new Uint8Array(new SharedArrayBuffer(count)),
    chunkDone: new Uint8Array(new SharedArrayBuffer(Math.ceil(count / STAT_CHUNK))),
  };
}

/** The helper thread of a full scan's stats. */
export interface StatHelper {
  /** Hands it the candidates (once): it claims chunks until none are left. */
  give(root: string, candidates: readonly ContentCandidate[], shared: SharedStats): void;
  /** Resolves when it has stopped: having finished its chunks, failed (its unfinished chunks are then not marked done), or been stopped. */
  readonly done: Promise<void>;
  /** Ends it at once. */
  stop(): void;
}

/**
 * Starts the helper thread, idle until `give`: a new process starts it before it lists the
 * content folder, so that the thread's start-up (40-70 ms, most of it compiling Node's own
 * modules) is over by the time there is something to stat.
 */
export function startStatHelper(): StatHelper {
  const helper = startThread(import.meta.url, 'stat-thread-main', {});
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const stop = () => {
    helper.removeAllListeners();
    void helper.terminate();
    stopped();
  };
  helper.once('message', stop);
  helper.once('error', stop);
  helper.once('exit', stop);
  return {
    give: (root, candidates, shared) => helper.postMessage({ root, relatives: candidates.map((candidate) => candidate.relative).join('\0'), shared } satisfies StatThreadData),
    done,
    stop,
  };
}

/**
 * Stats being taken by a helper thread: `take()` joins in on this thread and returns them all, in
 * candidate order (the same table to every call: a new process's check for "nothing changed"
 * and its scan share them).
 */
export interface PendingStats {
  take(): Promise<CandidateStats>;
  /** Not needed after all (a first build reads every file): the helper stops. */
  stop(): void;
}

/**
 * Starts taking what `statCandidate` says of each candidate: on a helper thread from now on
 * (when there are `threshold` or more; `started`, if given, or a new one), while this thread does
 * other work until it calls `take()`. Below the threshold, `take()` does it all on this thread
 * (and `started` is stopped).
 */
export function startStats(root: string, candidates: readonly ContentCandidate[], threshold = PARALLEL_THRESHOLD, started?: StatHelper): PendingStats {
  if (candidates.length < threshold) {
    started?.stop();
    return { take: once(async () => statAll(root, candidates)), stop: () => {} };
  }
  const shared = sharedStats(candidates.length);
  const helper = started ?? startStatHelper();
  helper.give(root, candidates, shared);
  const paths = listedPaths(candidates);
  return { take: once(takeAll), stop: helper.stop };

  async function takeAll(): Promise<CandidateStats> {
    statClaimedChunks(root, paths, shared);
    // Every chunk done (the helper was still starting, or finished its last one): no need to wait for it.
    if (shared.chunkDone.every((_, chunk) => Atomics.load(shared.chunkDone, chunk) === 1)) helper.stop();
    else await helper.done;
    // Whatever a failed helper did not finish, this thread does now.
    for (let chunk = 0; chunk < shared.chunkDone.length; chunk++) if (Atomics.load(shared.chunkDone, chunk) === 0) statChunk(root, paths, shared, chunk * STAT_CHUNK);
    return new CandidateStats(shared.numbers, shared.isFile);
  }
}

/** Every candidate's stat, on this thread. */
function statAll(root: string, candidates: readonly ContentCandidate[]): CandidateStats {
  const stats = CandidateStats.sized(candidates.length);
  const paths = listedPaths(candidates);
  for (let index = 0; index < candidates.length; index++) statInto(root, paths, stats, index);
  return stats;
}

/** `make`, called the first time only: every call gets its one promise. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}
