import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatThreadSummary, summarizeProfile } from '../../bench/profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// (root) → main → [parse → parse (recursion), render]; plus GC and idle samples.
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 6, 7] },
    { id: 2, callFrame: frame('main', 'file:///x/.bench-build/src/main.js', 9), children: [3, 5] },
    { id: 3, callFrame: frame('parse', 'file:///x/node_modules/zod/v4/core/parse.js', 40), children: [4] },
    { id: 4, callFrame: frame('parse', 'file:///x/node_modules/zod/v4/core/parse.js', 40) },
    { id: 5, callFrame: frame('render', 'file:///x/.bench-build/src/core/render.js', 0) },
    { id: 6, callFrame: frame('(garbage collector)') },
    { id: 7, callFrame: frame('(idle)') },
  ],
  samples: [4, 4, 3, 5, 6, 7, 2],
  timeDeltas: [1000, 1000, 1000, 2000, 3000, 5000, 500],
};

describe('bench profile summary', () => {
  const summary = summarizeProfile(profile, 'main.cpuprofile', 10);
  const inclusive = new Map(summary.inclusive);
  const self = new Map(summary.self);

  it('sums own time per function and names files relative to src/ or their package', () => {
    assert.equal(self.get('parse zod/v4/core/parse.js:41'), 3);
    assert.equal(self.get('render src/core/render.js:1'), 2);
    assert.equal(self.get('main src/main.js:10'), 0.5);
    assert.equal(summary.gcMs, 3);
    assert.equal(summary.idleMs, 5);
    assert.equal(summary.totalMs, 13.5);
  });

  it('counts a recursive function once per sample in the time including callees', () => {
    assert.equal(inclusive.get('parse zod/v4/core/parse.js:41'), 3);
    assert.equal(inclusive.get('main src/main.js:10'), 5.5);
    assert.ok(!inclusive.has('(idle)') && !inclusive.has('(root)'));
    assert.equal(summary.inclusive[0]![0], 'main src/main.js:10');
  });

  it('prints busy time and the garbage collector share', () => {
    const text = formatThreadSummary(summary);
    assert.match(text, /busy 9 ms of 14 ms, garbage collection 3 ms \(35\.3 % of busy\)/);
    assert.match(text, /6 ms\s+64\.7 %\s+main src\/main\.js:10/);
  });
});
