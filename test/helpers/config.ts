import { loadConfig, type Config } from '../../src/config.js';

/** A Config for tests, through the real loader, pointing at the given folders. */
export function testConfig(contentDir: string, feedsDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    CONTENT_DIR: contentDir,
    FEEDS_DIR: feedsDir,
    PUBLIC_BASE_URL: 'https://feeds.example.org',
    LOG_LEVEL: 'silent',
    ...env,
  });
}
