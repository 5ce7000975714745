/**
 * A build with nothing to do (the next CI run with the cache kept) loads neither the parsers nor
 * the renderers: make-feeds.ts and parse-threads.ts, and the libraries behind them, are imported
 * only when a build has work. Each build runs in its own process, whose module resolutions a
 * loader hook reports.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { RACY_MS } from '../../src/build/scan-content.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const project = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Modules that only a build with work may load. */
const HEAVY = ['/src/build/make-feeds.ts', '/src/build/parse-threads.ts', '/node_modules/gray-matter/', '/node_modules/markdown-it/', '/node_modules/sanitize-html/', '/node_modules/feed/', '/node_modules/@sindresorhus/transliterate/'];

/** Runs one build of `contentDir` in a new process; returns the URLs of every module it resolved. */
function buildInProcess(dir: string, contentDir: string): { status: number | null; stderr: string; loaded: string[] } {
  const hook = path.join(dir, 'hook.mjs');
  writeFileSync(hook, "export async function resolve(specifier, context, next) { const resolved = await next(specifier, context); process.stderr.write(`LOADED ${resolved.url}\\n`); return resolved; }\n");
  const register = path.join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  const script = path.join(dir, 'build.mts');
  writeFileSync(
    script,
    `import { buildFeeds } from ${JSON.stringify(pathToFileURL(path.join(project, 'src/build/build-feeds.ts')).href)};\n` +
      `import { testConfig } from ${JSON.stringify(pathToFileURL(path.join(project, 'test/helpers/config.ts')).href)};\n` +
      `import { silentLogger } from ${JSON.stringify(pathToFileURL(path.join(project, 'src/logger.ts')).href)};\n` +
      `const result = await buildFeeds({ config: testConfig(${JSON.stringify(contentDir)}, ${JSON.stringify(path.join(dir, 'feeds'))}), logger: silentLogger });\n` +
      'process.stdout.write(JSON.stringify({ parsed: result.report.filesParsed, written: result.report.written.length }));\n',
  );
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(register).href, script], { cwd: project, encoding: 'utf8', timeout: 60_000 });
  const loaded = run.stderr.split('\n').flatMap((line) => (line.startsWith('LOADED ') ? [line.slice('LOADED '.length)] : []));
  return { status: run.status, stderr: run.stderr.split('\n').filter((line) => !line.startsWith('LOADED ')).join('\n'), loaded };
}

describe('a build with nothing to do loads no parser or renderer', () => {
  it('the first build loads them; the next one, with nothing changed, does not', async () => {
    const dir = await makeTempDir('lazy-load-');
    const contentDir = await makeTempDir('lazy-load-content-');
    await writeFile(path.join(contentDir, 'a.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/a', topics: ['AI'] }), 'Some **Markdown**.'));
    // A file changed less than RACY_MS before it was read is read (and hashed) again by the next scan.
    await setTimeout(RACY_MS + 100);

    const first = buildInProcess(dir, contentDir);
    assert.equal(first.status, 0, first.stderr);
    for (const heavy of HEAVY) assert.ok(first.loaded.some((url) => url.includes(heavy)), `the first build loads ${heavy} (so the check below can fail)`);

    const second = buildInProcess(dir, contentDir);
    assert.equal(second.status, 0, second.stderr);
    assert.ok(second.loaded.some((url) => url.includes('/src/build/build-feeds.ts')), 'the hook saw the build');
    for (const heavy of HEAVY) assert.deepEqual(second.loaded.filter((url) => url.includes(heavy)), [], `a build with nothing to do does not load ${heavy}`);
  });
});
