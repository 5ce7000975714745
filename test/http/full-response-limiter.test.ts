import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientKey, FullResponseLimiter } from '../../src/http/full-response-limiter.js';

/** A limiter on a clock the test moves (ms). */
function limiterAt(limit: number, windowSeconds: number, maxClients?: number) {
  const clock = { now: 1_000_000 };
  const limiter = new FullResponseLimiter({ limit, windowSeconds }, { maxClients, now: () => clock.now });
  return { limiter, clock };
}

describe('FullResponseLimiter', () => {
  it('allows `limit` full responses per client in a window, then refuses', () => {
    const { limiter } = limiterAt(3, 60);
    assert.deepEqual([1, 2, 3].map(() => limiter.take('a')), [0, 0, 0]);
    assert.ok(limiter.take('a') > 0);
    assert.equal(limiter.take('b'), 0, 'another client has its own window');
  });

  it('answers the whole seconds until the window ends, rounded up, at least 1', () => {
    const { limiter, clock } = limiterAt(1, 60);
    limiter.take('a');
    clock.now += 500;
    assert.equal(limiter.take('a'), 60); // 59.5 s left
    clock.now += 58_600;
    assert.equal(limiter.take('a'), 1); // 0.9 s left
    clock.now += 899;
    assert.equal(limiter.take('a'), 1); // 1 ms left
    clock.now += 1;
    assert.equal(limiter.take('a'), 0, 'a new window starts when the old one ends');
  });

  it('does not count a refused response: the window still ends when it would have', () => {
    const { limiter, clock } = limiterAt(2, 10);
    limiter.take('a');
    limiter.take('a');
    for (let i = 0; i < 100; i++) limiter.take('a');
    clock.now += 10_000;
    assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a') > 0], [0, 0, true]);
  });

  it('wait() tells a full window without counting', () => {
    const { limiter } = limiterAt(2, 10);
    assert.equal(limiter.wait('a'), 0);
    assert.equal(limiter.wait('a'), 0);
    limiter.take('a');
    assert.equal(limiter.wait('a'), 0);
    limiter.take('a');
    assert.equal(limiter.wait('a'), 10);
  });

  it('drops expired windows as time passes, so the table holds only live clients', () => {
    const { limiter, clock } = limiterAt(5, 1);
    for (let i = 0; i < 1000; i++) limiter.take(`client-${i}`);
    assert.equal(limiter.size, 1000);
    clock.now += 1000;
    limiter.take('late');
    assert.equal(limiter.size, 1);
  });

  it('never holds more than maxClients windows: the oldest is dropped first', () => {
    const { limiter, clock } = limiterAt(1, 60, 100);
    for (let i = 0; i < 10_000; i++) {
      clock.now += 1;
      limiter.take(`client-${i}`);
      assert.ok(limiter.size <= 100);
    }
    assert.ok(limiter.take('client-9999') > 0, 'the newest windows are kept');
    assert.equal(limiter.take('client-0'), 0, 'the oldest were dropped');
  });
});

describe('clientKey', () => {
  it('keeps an IPv4 address, also one a dual-stack socket gives as ::ffff:a.b.c.d', () => {
    assert.equal(clientKey('203.0.113.9'), '203.0.113.9');
    assert.equal(clientKey('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(clientKey('::FFFF:127.0.0.1'), '127.0.0.1');
  });

  it('counts an IPv6 address under its /64, however it is written', () => {
    const key = '2001:db8:0:1::/64';
    for (const address of ['2001:db8:0:1::1', '2001:db8::1:aaaa:bbbb:cccc:dddd', '2001:0db8:0000:0001:ffff:ffff:ffff:ffff', '2001:DB8:0:1:0:0:0:2', '2001:db8:0:1::1%eth0']) {
      assert.equal(clientKey(address), key, address);
    }
    assert.equal(clientKey('2001:db8:0:2::1'), '2001:db8:0:2::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('fe80::1'), 'fe80:0:0:0::/64');
    assert.equal(clientKey('2001:db8::'), '2001:db8:0:0::/64');
  });
});
