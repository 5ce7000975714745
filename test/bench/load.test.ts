import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combineLoads, cpuMicrosPerResponse, type LoadResult } from '../../bench/load.js';

const run = (requests: number, durationS: number, p50: number, p99: number, status = '200'): LoadResult => ({
  requests,
  durationS,
  requestsPerSecond: requests / durationS,
  latencyP50Ms: p50,
  latencyP99Ms: p99,
  latencyMaxMs: p99 * 2,
  bytesPerResponse: 1000,
  errors: 0,
  timeouts: 0,
  unexpected: status === '200' ? 0 : requests,
  statusCounts: { [status]: requests },
});

describe('combineLoads: interleaved rounds as one figure', () => {
  it('takes requests per second over the summed time, the median p50 and the worst p99', () => {
    const combined = combineLoads([run(1000, 4, 5, 20), run(3000, 4, 3, 9), run(2000, 4, 4, 12)]);
    assert.equal(combined.requests, 6000);
    assert.equal(combined.durationS, 12);
    assert.equal(combined.requestsPerSecond, 500);
    assert.equal(combined.latencyP50Ms, 4);
    assert.equal(combined.latencyP99Ms, 20);
    assert.equal(combined.latencyMaxMs, 40);
  });

  it('adds up status counts and unexpected responses', () => {
    const combined = combineLoads([run(10, 1, 1, 1), run(5, 1, 1, 1, '500')]);
    assert.deepEqual(combined.statusCounts, { 200: 10, 500: 5 });
    assert.equal(combined.unexpected, 5);
  });
});

describe('cpuMicrosPerResponse: the server CPU behind a serving figure', () => {
  it('sums CPU and responses over the rounds before dividing', () => {
    assert.equal(cpuMicrosPerResponse([{ cpuMs: 100, responses: 1000 }, { cpuMs: 300, responses: 1000 }]), 200);
    // 400 ms for 3 000 responses: 133 µs each, where the mean of the rounds' ratios (1 000 and
    // 103 µs) would say 552.
    assert.equal(cpuMicrosPerResponse([{ cpuMs: 100, responses: 100 }, { cpuMs: 300, responses: 2900 }]), 400 / 3);
  });

  it('is null when a round has no CPU reading or nothing was answered', () => {
    assert.equal(cpuMicrosPerResponse([{ cpuMs: 100, responses: 1000 }, { cpuMs: undefined, responses: 1000 }]), null);
    assert.equal(cpuMicrosPerResponse([{ cpuMs: 100, responses: 0 }]), null);
    assert.equal(cpuMicrosPerResponse([]), null);
  });
});
