/**
 * Load generation with autocannon, run in the bench's own process: the servers under test are
 * child processes, so load generator and server never share a process (on 2 cores they share
 * the machine, equally for the service and both floors).
 */
import autocannon from 'autocannon';

export interface LoadOptions {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly pipelining?: number;
  /** Requests per second over all connections; unset means as fast as the server answers. */
  readonly overallRate?: number;
  /** Upper bound; `stop()` ends a run earlier. */
  readonly durationSeconds: number;
  /** The status every response must have; others are counted in `unexpected`. */
  readonly expectStatus: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly durationS: number;
  /** Completed responses per second over the whole run. */
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  /** Mean response bytes (headers and body) as received, to check that the expected variant was sent. */
  readonly bytesPerResponse: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Responses whose status was not `expectStatus`. */
  readonly unexpected: number;
  readonly statusCounts: Readonly<Record<string, number>>;
}

export interface RunningLoad {
  readonly done: Promise<LoadResult>;
  stop(): void;
}

/** Starts a load run; it ends after `durationSeconds` or at `stop()`. */
export function startLoad({ url, headers = {}, connections, pipelining = 1, overallRate, durationSeconds, expectStatus }: LoadOptions): RunningLoad {
  let instance: autocannon.Instance | undefined;
  const done = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url,
        method: 'GET',
        headers: { ...headers },
        connections,
        pipelining,
        duration: durationSeconds,
        // With a rate, autocannon corrects latencies for coordinated omission (a stalled server
        // delays the requests it would have been sent), so a blocked event loop shows in p99.
        ...(overallRate ? { overallRate } : {}),
        // Check for the end four times a second, so stop() and short runs end promptly.
        sampleInt: 250,
        timeout: 10,
      } as autocannon.Options,
      (error: Error | null, result: autocannon.Result) => {
        if (error) {
          reject(error);
          return;
        }
        const statusCounts: Record<string, number> = {};
        for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) statusCounts[status] = stats.count ?? 0;
        const responses = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
        const durationS = result.duration;
        resolve({
          requests: responses,
          durationS,
          requestsPerSecond: durationS > 0 ? responses / durationS : 0,
          latencyP50Ms: result.latency.p50,
          latencyP99Ms: result.latency.p99,
          latencyMaxMs: result.latency.max,
          bytesPerResponse: responses > 0 ? result.throughput.total / responses : 0,
          errors: result.errors,
          timeouts: result.timeouts,
          unexpected: responses - (statusCounts[String(expectStatus)] ?? 0),
          statusCounts,
        });
      },
    );
  });
  return { done, stop: () => instance?.stop() };
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return startLoad(options).done;
}

/** Problems that make a load figure meaningless, as sentences for the report. */
export function loadProblems(label: string, result: LoadResult): string[] {
  const problems: string[] = [];
  if (result.requests === 0) problems.push(`${label}: no response at all`);
  if (result.errors > 0) problems.push(`${label}: ${result.errors} connection error(s), ${result.timeouts} timeout(s)`);
  if (result.unexpected > 0) problems.push(`${label}: ${result.unexpected} response(s) with an unexpected status (${JSON.stringify(result.statusCounts)})`);
  return problems;
}

/**
 * The CPU time (user and system, all threads) a server used per response over some loads, in
 * microseconds. On the one CPU a saturated server has, its requests per second are about the
 * inverse of this, and this is far steadier than they are on a shared machine. Null when a
 * round's CPU reading is missing or nothing was answered.
 */
export function cpuMicrosPerResponse(loads: readonly { readonly cpuMs: number | undefined; readonly responses: number }[]): number | null {
  let cpuMs = 0;
  let responses = 0;
  for (const load of loads) {
    if (load.cpuMs === undefined) return null;
    cpuMs += load.cpuMs;
    responses += load.responses;
  }
  return responses > 0 ? (cpuMs * 1000) / responses : null;
}

/**
 * Several runs against one target as one figure: requests per second over their summed time,
 * p50 the median run's, p99 and max the worst run's (so a bad run is never averaged away).
 */
export function combineLoads(results: readonly LoadResult[]): LoadResult {
  if (results.length === 1) return results[0]!;
  const sum = (pick: (result: LoadResult) => number) => results.reduce((total, result) => total + pick(result), 0);
  const requests = sum((result) => result.requests);
  const durationS = sum((result) => result.durationS);
  const statusCounts: Record<string, number> = {};
  for (const result of results) for (const [status, count] of Object.entries(result.statusCounts)) statusCounts[status] = (statusCounts[status] ?? 0) + count;
  const p50s = results.map((result) => result.latencyP50Ms).sort((a, b) => a - b);
  return {
    requests,
    durationS,
    requestsPerSecond: durationS > 0 ? requests / durationS : 0,
    latencyP50Ms: p50s[Math.floor(p50s.length / 2)]!,
    latencyP99Ms: Math.max(...results.map((result) => result.latencyP99Ms)),
    latencyMaxMs: Math.max(...results.map((result) => result.latencyMaxMs)),
    bytesPerResponse: requests > 0 ? sum((result) => result.bytesPerResponse * result.requests) / requests : 0,
    errors: sum((result) => result.errors),
    timeouts: sum((result) => result.timeouts),
    unexpected: sum((result) => result.unexpected),
    statusCounts,
  };
}
