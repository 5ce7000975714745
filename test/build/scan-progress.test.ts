import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanProgressLog } from '../../src/build/scan-progress.js';
import { collectingLogger } from '../helpers/logger.js';

describe('scanProgressLog', () => {
  it('says how far a long scan got once per interval, nothing for a short one, nothing when it is done', () => {
    const { logger, entries } = collectingLogger();
    let clock = 0;
    const report = scanProgressLog(logger, { intervalMs: 15_000, now: () => clock });
    // A short scan: done within the interval.
    clock = 14_999;
    report(500, 1000);
    assert.deepEqual(entries, []);
    clock = 15_000;
    report(600, 1000);
    clock = 20_000;
    report(700, 1000);
    clock = 31_000;
    report(800, 1000);
    clock = 46_000;
    report(1000, 1000);
    assert.deepEqual(
      entries.map(({ level, msg, progress, read, total }) => ({ level, msg, progress, read, total })),
      [
        { level: 'info', msg: 'reading content: 600 of 1000 files', progress: 'scan', read: 600, total: 1000 },
        { level: 'info', msg: 'reading content: 800 of 1000 files', progress: 'scan', read: 800, total: 1000 },
      ],
    );
  });
});
