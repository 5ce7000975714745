import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { ConfigError, FeedServiceError } from '../src/errors.js';

/** Runs loadConfig and returns the ConfigError it must throw. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig: defaults', () => {
  it('fills every setting with its documented default when the environment is empty', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, undefined);
    assert.equal(config.contentDir, 'content');
    assert.equal(config.feedsDir, 'feeds');
    assert.equal(config.buildCron, '*/5 * * * *');
    assert.equal(config.strict, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.cacheMaxAgeSeconds, 300);
    assert.equal(config.maxFileBytes, 1024 * 1024);
    assert.equal(config.site.baseUrl, 'http://localhost:3000');
    assert.equal(config.site.siteUrl, 'http://localhost:3000/feeds/');
    assert.equal(config.site.maxItems, 50);
    assert.equal(config.site.maxBytes, 1024 * 1024);
    assert.equal(config.site.language, 'en');
    assert.deepEqual(config.removalGuard, { percent: 10, minimum: 20, allow: false });
  });

  it('counts empty-string variables as unset', () => {
    const config = loadConfig({
      PORT: '',
      PUBLIC_BASE_URL: '',
      FEED_MAX_ITEMS: '',
      BUILD_CRON: '',
      CONTENT_DIR: '',
      FEEDS_DIR: '',
      LOG_LEVEL: '',
      FEED_LANGUAGE: '',
      STRICT: '',
    });
    assert.deepEqual(config, loadConfig({}));
  });

  it('ignores variables it does not know', () => {
    assert.deepEqual(loadConfig({ HOME: '/root', PATH: '/usr/bin' }), loadConfig({}));
  });
});

describe('loadConfig: the result is frozen', () => {
  it('freezes the config and the nested site object', () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.site));
  });

  it('throws on an attempt to change a setting (ESM code is strict mode)', () => {
    const config = loadConfig({});
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (config.site as { maxItems: number }).maxItems = 1;
    }, TypeError);
    assert.equal(config.port, 3000);
    assert.equal(config.site.maxItems, 50);
  });
});

describe('loadConfig: valid settings', () => {
  it('writes PUBLIC_BASE_URL as WHATWG URL does (scheme and host in lower case, slashes after the scheme), keeping a path', () => {
    assert.equal(loadConfig({ PUBLIC_BASE_URL: 'HTTPS://Feeds.Example.COM/News/' }).site.baseUrl, 'https://feeds.example.com/News');
    assert.equal(loadConfig({ PUBLIC_BASE_URL: 'http:feeds.example.com' }).site.baseUrl, 'http://feeds.example.com');
  });

  it('derives the site URLs from PUBLIC_BASE_URL without a trailing slash', () => {
    const config = loadConfig({ PUBLIC_BASE_URL: 'https://feeds.example.com/' });
    assert.equal(config.site.baseUrl, 'https://feeds.example.com');
    assert.equal(config.site.siteUrl, 'https://feeds.example.com/feeds/');
  });

  it('derives the default base URL from PORT', () => {
    const config = loadConfig({ PORT: '8080' });
    assert.equal(config.port, 8080);
    assert.equal(config.site.baseUrl, 'http://localhost:8080');
  });

  it('takes PORT=0 (a port the system picks) with PUBLIC_BASE_URL, whose URL the feeds keep', () => {
    const config = loadConfig({ PORT: '0', PUBLIC_BASE_URL: 'https://feeds.example.com' });
    assert.equal(config.port, 0);
    assert.equal(config.site.baseUrl, 'https://feeds.example.com');
  });

  it('reads numbers, the cron pattern, the folders and the language', () => {
    const config = loadConfig({
      FEED_MAX_ITEMS: '10',
      BUILD_CRON: '* * * * * *',
      CONTENT_DIR: 'in',
      FEEDS_DIR: 'out',
      FEED_LANGUAGE: 'en-GB',
      CACHE_MAX_AGE: '0',
      LOG_LEVEL: 'silent',
    });
    assert.equal(config.site.maxItems, 10);
    assert.equal(config.buildCron, '* * * * * *');
    assert.equal(config.contentDir, 'in');
    assert.equal(config.feedsDir, 'out');
    assert.equal(config.site.language, 'en-GB');
    assert.equal(config.cacheMaxAgeSeconds, 0);
    assert.equal(config.logLevel, 'silent');
  });

  it('gives the feeds (RSS <ttl>) the max-ages the server sends: CACHE_MAX_AGE and ARCHIVE_CACHE_MAX_AGE', () => {
    const config = loadConfig({ CACHE_MAX_AGE: '120', ARCHIVE_CACHE_MAX_AGE: '7200' });
    assert.deepEqual(
      [config.cacheMaxAgeSeconds, config.archiveCacheMaxAgeSeconds, config.site.maxAgeSeconds],
      [120, 7200, { subscription: 120, archive: 7200 }],
    );
    assert.deepEqual(loadConfig({}).site.maxAgeSeconds, { subscription: 300, archive: 86_400 });
  });

  it('names the service\'s own icon and logo under PUBLIC_BASE_URL, unless FEED_ICON_URL and FEED_LOGO_URL name others', () => {
    const own = loadConfig({ PUBLIC_BASE_URL: 'https://feeds.example.com' }).site;
    assert.deepEqual([own.iconUrl, own.logoUrl], ['https://feeds.example.com/feeds/icon.png', 'https://feeds.example.com/feeds/logo.png']);
    const named = loadConfig({ FEED_ICON_URL: 'https://cdn.example.com/i.png', FEED_LOGO_URL: 'https://cdn.example.com/l.png' }).site;
    assert.deepEqual([named.iconUrl, named.logoUrl], ['https://cdn.example.com/i.png', 'https://cdn.example.com/l.png']);
  });

  it('reads the byte budget of a feed document from FEED_MAX_BYTES', () => {
    assert.equal(loadConfig({ FEED_MAX_BYTES: '5000000' }).site.maxBytes, 5_000_000);
  });
});

describe('loadConfig: FEED_ARCHIVES', () => {
  it('archives every kind of feed by default and with true or 1, none with false or 0', () => {
    const every = ['all', 'topic', 'provider', 'category'];
    assert.deepEqual(loadConfig({}).site.archives, every);
    assert.deepEqual(loadConfig({ FEED_ARCHIVES: 'true' }).site.archives, every);
    assert.deepEqual(loadConfig({ FEED_ARCHIVES: '1' }).site.archives, every);
    assert.deepEqual(loadConfig({ FEED_ARCHIVES: 'false' }).site.archives, []);
    assert.deepEqual(loadConfig({ FEED_ARCHIVES: '0' }).site.archives, []);
  });

  it('reads a list of kinds in any order and spacing, as one order (the cache stamp sees the same setting)', () => {
    assert.deepEqual(loadConfig({ FEED_ARCHIVES: 'topics' }).site.archives, ['topic']);
    assert.deepEqual(loadConfig({ FEED_ARCHIVES: 'categories, topics,all' }).site.archives, ['all', 'topic', 'category']);
    assert.deepEqual(loadConfig({ FEED_ARCHIVES: 'providers,providers' }).site.archives, ['provider']);
  });

  it('rejects a kind it does not know, naming it and the kinds it knows', () => {
    const error = configError({ FEED_ARCHIVES: 'topics,topic,yes' });
    assert.deepEqual(error.issues.map((issue) => issue.setting), ['FEED_ARCHIVES']);
    assert.match(error.issues[0]!.message, /all, topics, providers, categories/);
    assert.match(error.issues[0]!.message, /not a kind of feed: "topic", "yes"$/);
  });
});

describe('loadConfig: strict mode', () => {
  it('turns strict on with STRICT=true or STRICT=1', () => {
    assert.equal(loadConfig({ STRICT: 'true' }).strict, true);
    assert.equal(loadConfig({ STRICT: '1' }).strict, true);
    assert.equal(loadConfig({ STRICT: 'false' }).strict, false);
    assert.equal(loadConfig({ STRICT: '0' }).strict, false);
  });

  it('lets the overrides argument win over STRICT in either direction', () => {
    assert.equal(loadConfig({}, { strict: true }).strict, true);
    assert.equal(loadConfig({ STRICT: 'true' }, { strict: false }).strict, false);
    assert.equal(loadConfig({ STRICT: 'true' }, {}).strict, true);
  });

  it('rejects a STRICT value that is not a boolean word', () => {
    const error = configError({ STRICT: 'yes' });
    assert.deepEqual(
      error.issues.map((issue) => issue.setting),
      ['STRICT'],
    );
  });
});

describe('loadConfig: the mass-removal guard', () => {
  it('reads its limits and the override, and lets the CLI flag win', () => {
    assert.deepEqual(loadConfig({ REMOVAL_LIMIT_PERCENT: '25', REMOVAL_LIMIT_ENTRIES: '0' }).removalGuard, { percent: 25, minimum: 0, allow: false });
    assert.equal(loadConfig({ ALLOW_MASS_REMOVAL: 'true' }).removalGuard.allow, true);
    assert.equal(loadConfig({}, { allowMassRemoval: true }).removalGuard.allow, true);
  });

  it('rejects a percentage over 100 and a word that is not a boolean', () => {
    assert.deepEqual(
      configError({ REMOVAL_LIMIT_PERCENT: '150', ALLOW_MASS_REMOVAL: 'please' }).issues.map((issue) => issue.setting),
      ['REMOVAL_LIMIT_PERCENT', 'ALLOW_MASS_REMOVAL'],
    );
  });
});

describe('loadConfig: invalid settings', () => {
  const cases: [string, Record<string, string>][] = [
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://x' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'not a url' }],
    ['FEEDS_DIR', { CONTENT_DIR: 'content', FEEDS_DIR: 'content/feeds' }],
    ['FEEDS_DIR', { CONTENT_DIR: 'site/content', FEEDS_DIR: 'site/content/' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'https://feeds.example.com/?q=1' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'https://feeds.example.com/#top' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'https://user:secret@feeds.example.com' }],
    ['FEED_ICON_URL', { FEED_ICON_URL: 'icon.png' }],
    ['FEED_LOGO_URL', { FEED_LOGO_URL: 'data:image/png;base64,AAAA' }],
    ['FEED_MAX_ITEMS', { FEED_MAX_ITEMS: '0' }],
    ['FEED_MAX_ITEMS', { FEED_MAX_ITEMS: '1.5' }],
    ['FEED_MAX_BYTES', { FEED_MAX_BYTES: '1023' }],
    ['FEED_MAX_BYTES', { FEED_MAX_BYTES: '1MiB' }],
    ['BUILD_CRON', { BUILD_CRON: 'not a cron' }],
    ['BUILD_CRON', { BUILD_CRON: '61 * * * *' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['FEED_LANGUAGE', { FEED_LANGUAGE: 'english language' }],
  ];
  for (const [setting, env] of cases) {
    it(`throws ConfigError naming ${setting} for ${JSON.stringify(env[setting])}`, () => {
      const error = configError(env);
      assert.ok(error instanceof FeedServiceError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.equal(error.name, 'ConfigError');
      assert.deepEqual(
        error.issues.map((issue) => issue.setting),
        [setting],
      );
      assert.ok(error.issues[0]!.message.length > 0);
      assert.match(error.message, new RegExp(`\\b${setting}: `));
    });
  }

  it('refuses PORT=0 without PUBLIC_BASE_URL, naming both: the feeds would say http://localhost:0', () => {
    for (const env of [{ PORT: '0' }, { PORT: '0', PUBLIC_BASE_URL: '' }, { PORT: '00' }] as Record<string, string>[]) {
      const error = configError(env);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.deepEqual(
        error.issues.map((issue) => issue.setting),
        ['PORT'],
      );
      assert.match(error.issues[0]!.message, /\bPUBLIC_BASE_URL\b/);
    }
  });

  it('lists every bad setting when several are wrong at once', () => {
    const error = configError({ PORT: 'abc', LOG_LEVEL: 'loud', BUILD_CRON: 'x', FEED_MAX_ITEMS: '0', PUBLIC_BASE_URL: 'ftp://x' });
    assert.deepEqual(
      error.issues.map((issue) => issue.setting).sort(),
      ['BUILD_CRON', 'FEED_MAX_ITEMS', 'LOG_LEVEL', 'PORT', 'PUBLIC_BASE_URL'],
    );
    for (const setting of ['PORT', 'LOG_LEVEL', 'BUILD_CRON', 'FEED_MAX_ITEMS', 'PUBLIC_BASE_URL']) {
      assert.ok(error.message.includes(`${setting}: `), `message names ${setting}`);
    }
  });

  it('keeps good settings from hiding a bad one', () => {
    const error = configError({ PORT: '8080', FEED_LANGUAGE: 'en', LOG_LEVEL: 'loud' });
    assert.deepEqual(
      error.issues.map((issue) => issue.setting),
      ['LOG_LEVEL'],
    );
  });
});


describe('loadConfig: METRICS_TOKEN', () => {
  it('is unset by default, and taken as it is when it is a bearer token of 16 characters or more', () => {
    assert.equal(loadConfig({}).metricsToken, undefined);
    assert.equal(loadConfig({ METRICS_TOKEN: 'c29tZS1yYW5kb20tdG9rZW4=' }).metricsToken, 'c29tZS1yYW5kb20tdG9rZW4=');
  });

  it('refuses a short token or one a header could not carry, naming the setting and never echoing the value', () => {
    for (const token of ['short-token', 'a token with spaces in it', 'quote"quote"quote"quote']) {
      const error = configError({ METRICS_TOKEN: token });
      assert.deepEqual(error.issues.map((issue) => issue.setting), ['METRICS_TOKEN']);
      assert.match(error.issues[0]!.message, /at least 16 characters/);
      assert.ok(!error.message.includes(token), 'a secret is not written into the error');
    }
  });
});

describe('loadConfig: slow and abusive clients (HTTP_*, TRUST_PROXY, RATE_LIMIT_*)', () => {
  it('defaults to 10 s for headers, 30 s for a request, 5 s keep-alive, 60 s without progress, no trusted proxy and no limit', () => {
    assert.deepEqual(loadConfig({}).http, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, socketTimeoutMs: 60_000, trustProxy: false, fullResponseLimit: undefined });
  });

  it('reads the timeouts and the limit, whose window defaults to 60 s', () => {
    const config = loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '4000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000', HTTP_SOCKET_TIMEOUT_MS: '1000', RATE_LIMIT_FULL_RESPONSES: '60' });
    assert.deepEqual(config.http, { headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 65_000, socketTimeoutMs: 1000, trustProxy: false, fullResponseLimit: { limit: 60, windowSeconds: 60 } });
    assert.deepEqual(loadConfig({ RATE_LIMIT_FULL_RESPONSES: '5', RATE_LIMIT_WINDOW_SECONDS: '10' }).http.fullResponseLimit, { limit: 5, windowSeconds: 10 });
    assert.equal(loadConfig({ RATE_LIMIT_FULL_RESPONSES: '0', RATE_LIMIT_WINDOW_SECONDS: '10' }).http.fullResponseLimit, undefined);
  });

  it('reads TRUST_PROXY as false, a hop count, or a list of addresses and subnets', () => {
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).http.trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '0' }).http.trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy, 2);
    assert.deepEqual(loadConfig({ TRUST_PROXY: 'loopback' }).http.trustProxy, ['loopback']);
    assert.deepEqual(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8,192.168.1.7,10.1.0.0/255.255.0.0' }).http.trustProxy, [
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.168.1.7',
      '10.1.0.0/255.255.0.0',
    ]);
  });

  const cases: [string, Record<string, string>][] = [
    ['HTTP_HEADERS_TIMEOUT_MS', { HTTP_HEADERS_TIMEOUT_MS: '10' }],
    ['HTTP_HEADERS_TIMEOUT_MS', { HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }],
    ['HTTP_REQUEST_TIMEOUT_MS', { HTTP_REQUEST_TIMEOUT_MS: 'soon' }],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', { HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' }],
    ['HTTP_SOCKET_TIMEOUT_MS', { HTTP_SOCKET_TIMEOUT_MS: '999' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'true' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'loopback,my-balancer' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }],
    ['RATE_LIMIT_FULL_RESPONSES', { RATE_LIMIT_FULL_RESPONSES: '-1' }],
    ['RATE_LIMIT_WINDOW_SECONDS', { RATE_LIMIT_WINDOW_SECONDS: '0' }],
  ];
  for (const [setting, env] of cases) {
    it(`throws ConfigError naming ${setting} for ${JSON.stringify(env)}`, () => {
      assert.deepEqual(
        configError(env).issues.map((issue) => issue.setting),
        [setting],
      );
    });
  }

  it('says why TRUST_PROXY=true is refused and which entry is not an address', () => {
    assert.match(configError({ TRUST_PROXY: 'true' }).issues[0]!.message, /any client pick its address/);
    assert.match(configError({ TRUST_PROXY: 'loopback,my-balancer' }).issues[0]!.message, /not an address or subnet: my-balancer$/);
  });
});
