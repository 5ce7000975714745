#!/usr/bin/env node
/**
 * `npm run test:mutations`: puts each bug of a listed set into src/ one at a time, runs the tests
 * that guard that part, and reports whether they noticed (killed) or not (survived). Not part of
 * CI: a run takes a few minutes. Each mutation is a plain text replacement that must match
 * exactly once (a mutation that no longer applies is reported as such, so the list is kept up to
 * date with the code); src/ is restored after each one, also when the run is interrupted.
 *
 * The list covers what decides what readers get: the secured field and drafts, future dates,
 * CDATA and attribute escaping, conditional GET, content negotiation, the /feeds redirect, slugs, archive paging, its page edges and links and the byte
 * budget, the mass-removal guard's count, deletion notices and their expiry, ordering and its tie-break, and the build cache's keys, checks, saves and shortcuts.
 *
 *   node scripts/mutations.mjs            # every mutation
 *   node scripts/mutations.mjs cdata etag # those whose id contains one of the words
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The tests of the content model's updates: the model's own and the incremental builds'. */
const MODEL_UPDATE_TESTS = ['test/feeds/content-model.test.ts', 'test/build/build-feeds.incremental.test.ts', 'test/build/build-feeds.deletions.test.ts', 'test/build/build-feeds.pages.test.ts'];
/** The tests of what a build records of the feeds folder (its manifest and result files). */
const MANIFEST_TESTS = ['test/build/build-feeds.test.ts', 'test/build/build-feeds.incremental.test.ts', 'test/build/write-feeds.test.ts', 'test/build/build-feeds.write-thread.test.ts'];

/**
 * [id, file, text to find, replacement, test files that must fail, why it is equivalent (when a
 * mutant is known to change nothing a reader could see, and is expected to survive)].
 */
export const MUTATIONS = [
  ['cdata-second-terminator', 'src/render/escape.ts', ".replaceAll(']]>', ']]]]><![CDATA[>')", ".replace(']]>', ']]]]><![CDATA[>')", ['test/render/feed-package-fixes.cdata.test.ts']],
  ['attribute-quote-unescaped', 'src/render/escape.ts', ".replace(/\"/g, '&quot;')", '', ['test/render/xml-tree.test.ts', 'test/build/build-feeds.escaping.test.ts']],
  ['attribute-lt-unescaped', 'src/render/escape.ts', ".replace(/</g, '&lt;')", '', ['test/render/xml-tree.test.ts', 'test/build/build-feeds.escaping.test.ts']],
  ['etag-prefix-match', 'src/http/conditional-get.ts', "opaqueTag(tag) === hash", "hash.startsWith(opaqueTag(tag) ?? '\\u0000')", ['test/http/conditional-get.behaviour.test.ts']],
  ['etag-weak-rejected', 'src/http/conditional-get.ts', '/^(?:W\\/)?"([^"]*)"$/', '/^"([^"]*)"$/', ['test/http/app.test.ts', 'test/http/conditional-get.behaviour.test.ts']],
  ['etag-same-for-codings', 'src/http/feed-snapshot.ts', "gzip: etagFor(hash, 'gzip')", "gzip: etagFor(hash, 'identity')", ['test/http/app.test.ts', 'test/http/negotiation.test.ts']],
  ['accept-extensions-kept', 'src/http/app.ts', 'accept: withoutAcceptExtensions(accept)', 'accept', ['test/http/negotiation.test.ts']],
  ['feeds-redirect-query-dropped', 'src/http/app.ts', 'response.redirect(301, indexLocation(request.originalUrl))', "response.redirect(301, '/feeds/')", ['test/http/app.test.ts']],
  ['feeds-redirect-off-site', 'src/http/app.ts', "return `/feeds/${QUERY.exec(url)?.[1] ?? ''}`;", "return url.replace(/^[^?#]*/, (path) => `${path}/`);", ['test/http/hostile-requests.test.ts']],
  ['if-modified-since-later', 'src/http/conditional-get.ts', '* 1000 > since', '* 1000 >= since', ['test/http/app.test.ts']],
  ['draft-published', 'src/feeds/content-model.ts', 'return article.published && article.publishedDateTime.getTime() <= nowMs;', 'return article.publishedDateTime.getTime() <= nowMs;', ['test/feeds/content-model.test.ts', 'test/build/build-feeds.test.ts']],
  ['future-published', 'src/feeds/content-model.ts', 'return article.published && article.publishedDateTime.getTime() <= nowMs;', 'return article.published && article.publishedDateTime.getTime() <= nowMs + 86_400_000;', ['test/feeds/content-model.test.ts', 'test/build/build-feeds.test.ts']],
  [
    'secured-as-excerpt',
    'src/content/parse-article.ts',
    'toArticle(result.data, file,',
    'toArticle({ ...result.data, excerpt: result.data.excerpt ?? (typeof (data as { secured?: unknown }).secured === "string" ? String((data as { secured?: unknown }).secured) : undefined) }, file,',
    ['test/build/build-feeds.test.ts', 'test/e2e/no-leaks.test.ts'],
  ],
  [
    'secured-kept-by-schema',
    'src/content/article-schema.ts',
    '.transform(({ secured: _opaque, ...article }) => article)',
    '',
    ['test/content/parse-article.test.ts', 'test/e2e/no-leaks.test.ts'],
    'equivalent: parse-article.ts makes the Article field by field (toArticle), so a secured value the schema kept still reaches no Article, entry or log',
  ],
  ['slug-case-kept', 'src/feeds/topics.ts', '      .toLowerCase()\n', '', ['test/feeds/topics.test.ts']],
  ['slug-word-marks-separated', 'src/feeds/topics.ts', ".replace(WORD_MARKS, (mark) => WORD_MARK_NAMES[mark]!)", '', ['test/feeds/topics.test.ts', 'test/feeds/feed-collections.test.ts']],
  ['slug-reserved-ignored', 'src/feeds/content-model.ts', "reserved && RESERVED_SLUGS.has(baseSlug)", 'false', ['test/feeds/content-model.test.ts', 'test/build/build-feeds.test.ts']],
  ['archive-kinds-ignored', 'src/feeds/feed-documents.ts', 'const archived = site.archives.includes(collection.kind);', 'const archived = site.archives.length > 0;', ['test/feeds/feed-documents.test.ts', 'test/build/build-feeds.pages.test.ts', 'test/build/build-feeds.budget.test.ts']],
  ['archive-kinds-left-out-uncounted', 'src/build/make-feeds.ts', '        leftOut += plan.overBudget;\n', '', ['test/build/build-feeds.budget.test.ts']],
  ['watch-other-file-unknown', 'src/content/watch-content.ts', 'return notContent(file) ? undefined : unknownChange();', 'return unknownChange();', ['test/content/watch-content.test.ts']],
  ['watch-gone-folder-ignored', 'src/content/watch-content.ts', "=== 'ENOENT' && !folders.has(file);", "=== 'ENOENT';", ['test/content/watch-content.test.ts']],
  ['watch-new-folder-ignored', 'src/content/watch-content.ts', 'return !lstatSync(path.join(watched, file)).isDirectory();', 'return true;', ['test/content/watch-content.test.ts']],
  ['archive-partial-page', 'src/feeds/feed-documents.ts', 'return page.whole ? page : undefined;', 'return page;', ['test/feeds/feed-documents.test.ts', 'test/feeds/feed-documents.budget.test.ts']],
  ['archive-first-page-alone', 'src/feeds/feed-documents.ts', 'if (page.count < 2) addPage(page.count, page.oversized);', 'if (true) addPage(page.count, page.oversized);', ['test/feeds/feed-documents.test.ts', 'test/feeds/feed-documents.budget.test.ts', 'test/e2e/w3c-validator.test.ts']],
  ['archive-first-page-holds-all', 'src/feeds/feed-documents.ts', 'if (page && page.count < unpaged) {', 'if (page) {', ['test/feeds/feed-documents.test.ts', 'test/feeds/feed-documents.edges.test.ts']],
  ['archive-first-halves-swapped', 'src/feeds/feed-documents.ts', 'return [Math.ceil(count / 2), Math.floor(count / 2)];', 'return [Math.floor(count / 2), Math.ceil(count / 2)];', ['test/feeds/feed-documents.test.ts', 'test/feeds/feed-documents.edges.test.ts']],
  ['archive-early-page-alone', 'src/feeds/feed-documents.ts', 'if (first && early >= 2) pages.push', 'if (false) pages.push', ['test/feeds/feed-documents.budget.test.ts', 'test/feeds/feed-documents.test.ts']],
  ['budget-frame-ignored', 'src/feeds/feed-documents.ts', 'const bytes = frames.map((frame) => frame.fixed);', 'const bytes = frames.map(() => 0);', ['test/feeds/feed-documents.budget.test.ts', 'test/build/build-feeds.budget.test.ts']],
  ['removal-limit-reached-refused', 'src/feeds/removal-guard.ts', 'return removed > removalLimit(before, policy);', 'return removed >= removalLimit(before, policy);', ['test/feeds/removal-guard.test.ts', 'test/build/build-feeds.removal-guard.test.ts']],
  ['removals-not-counted', 'src/feeds/deleted-entries.ts', '    if (record.deletedAt === undefined) removal.removed++;\n', '', ['test/feeds/removal-guard.test.ts', 'test/build/build-feeds.removal-guard.test.ts']],
  ['removals-not-counted-incrementally', 'src/feeds/content-model.ts', '      removal.removed++;\n', '', ['test/feeds/content-model.test.ts', 'test/build/build-feeds.removal-guard.test.ts']],
  ['page-edge-overfull-kept', 'src/feeds/feed-documents.ts', '        if (count > KEPT_PAGE_GROWTH * site.maxItems) break;\n', '', ['test/feeds/feed-documents.edges.test.ts', 'test/build/build-feeds.reader.test.ts']],
  ['page-edge-no-growth', 'src/feeds/feed-documents.ts', 'if (count > KEPT_PAGE_GROWTH * site.maxItems) break;', 'if (count > site.maxItems) break;', ['test/feeds/feed-documents.edges.test.ts']],
  ['page-edge-over-budget-kept', 'src/feeds/feed-documents.ts', '          if (filled.count < count) break;\n', '', ['test/feeds/feed-documents.edges.test.ts']],
  ['page-edge-tie-excluded', 'src/feeds/page-edges.ts', 'compareCodePoints(entryId(article), edge.id) >= 0', 'compareCodePoints(entryId(article), edge.id) > 0', ['test/feeds/feed-documents.edges.test.ts', 'test/build/build-feeds.pages.test.ts']],
  ['page-edge-kept-oversized-unmarked', 'src/feeds/feed-documents.ts', '        if (last.oversized) oversized.add(page);\n', '', ['test/feeds/feed-documents.edges.test.ts']],
  ['dead-entries-of-changes-none', 'src/build/make-feeds.ts', '    if (article === undefined) return undefined;\n    if (!article.published) {', '    if (article === undefined || true) return [];\n    if (!article.published) {', ['test/build/build-feeds.incremental.test.ts']],
  ['dead-entries-losers-kept', 'src/build/make-feeds.ts', '    candidates.add(loser.key);\n    articleOf.set(loser.key, loser);', '    articleOf.set(loser.key, loser);', ['test/build/build-feeds.incremental.test.ts']],
  ['dead-entries-held-back-erased', 'src/build/make-feeds.ts', '      if (!heldBack.has(key)) dead.push(key);', '      dead.push(key);', ['test/build/build-feeds.incremental.test.ts']],
  ['tally-removal-skipped', 'src/feeds/content-model.ts', '    if (from) lists[from] = removed(lists[from], valueOf(before!), byFileOfValue);', '', ['test/feeds/content-model.test.ts']],
  ['contested-never-cleared', 'src/feeds/content-model.ts', '  if (next.length < 2) index.contested.delete(id);', '', ['test/feeds/content-model.test.ts', 'test/build/build-feeds.incremental.test.ts']],
  ['page-edge-newer-inside-ignored', 'src/feeds/feed-documents.ts', '  if (start > 0 && isAtOrOlder(all[start - 1]!, edge)) return false;\n', '', ['test/feeds/feed-documents.edges.test.ts']],
  ['known-changes-unchanged-dropped', 'src/build/scan-content.ts', '    if (before !== replacement?.outcome) changed.push(', '    if (before !== replacement?.outcome && replacement !== undefined) changed.push(', ['test/build/build-feeds.incremental.test.ts']],
  ['known-changes-base-unchecked', 'src/feeds/content-model.ts', 'if (known && known.base === last.files)', 'if (known)', ['test/feeds/content-model.test.ts', 'test/build/build-feeds.incremental.test.ts', 'test/build/build-trigger.test.ts']],
  ['stale-documents-kept', 'src/build/write-documents.ts', '    if (fingerprints.size > plans.length) {', '    if (false) {', ['test/build/build-feeds.incremental.test.ts', 'test/build/build-trigger.test.ts']],
  ['page-edges-not-saved', 'src/build/make-feeds.ts', 'if (pageEdges?.changed) writePageEdges(', 'if (pageEdges?.changed && false) writePageEdges(', ['test/build/build-feeds.pages.test.ts', 'test/build/disk-faults.test.ts']],
  ['page-edges-other-settings-used', 'src/feeds/page-edges.ts', 'if (parsed.maxItems !== settings.maxItems || parsed.maxBytes !== settings.maxBytes) {', 'if (false) {', ['test/feeds/page-edges.test.ts', 'test/build/page-state.test.ts']],
  ['archive-next-link-off-by-one', 'src/feeds/feed-documents.ts', 'nextArchive: page < pages ? pageUrls(page + 1) : undefined,', 'nextArchive: page <= pages ? pageUrls(page + 1) : undefined,', ['test/feeds/feed-documents.test.ts', 'test/render/feed-package-fixes.archive.test.ts']],
  ['tombstone-never-expires', 'src/feeds/deleted-entries.ts', 'now.getTime() - deletedAt.getTime() >= retentionMs', 'now.getTime() - deletedAt.getTime() >= retentionMs * 1000', ['test/feeds/deleted-entries.test.ts', 'test/build/build-feeds.survivors.test.ts']],
  ['tombstone-expiry-ignored-by-shortcut', 'src/build/build-feeds.ts', '    startedAt.getTime() < last.validUntil &&\n', '', ['test/build/build-feeds.survivors.test.ts', 'test/build/build-feeds.cache.test.ts']],
  ['tie-break-dropped', 'src/feeds/content-model.ts', 'ranked.sort((a, b) => b.time - a.time || compareCodePoints(a.id, b.id));', 'ranked.sort((a, b) => b.time - a.time);', ['test/feeds/content-model.test.ts', 'test/e2e/bundled-content.test.ts']],
  ['stat-shortcut-without-ctime', 'src/build/scan-content.ts', '    sameStat(known.stat, stat) &&', '    known.stat.size === stat.size && known.stat.mtimeMs === stat.mtimeMs &&', ['test/build/scan-content.test.ts']],
  [
    'stat-shortcut-mtime-not-racy',
    'src/build/scan-content.ts',
    'return stat.mtimeMs < checkedAt - RACY_MS &&',
    'return true &&',
    ['test/build/scan-content.test.ts'],
    'equivalent: a write that sets the mtime sets the ctime to now as well, so the ctime check (kept) already refuses every file changed in the instant it was read',
  ],
  ['stat-shortcut-not-racy', 'src/build/scan-content.ts', 'stat.ctimeMs < checkedAt - RACY_MS', 'true', ['test/build/scan-content.test.ts']],
  ['content-key-of-a-prefix', 'src/content/read-content.ts', "createHash('sha256').update(bytes)", "createHash('sha256').update(bytes.subarray(0, 200))", ['test/build/build-feeds.survivors.test.ts', 'test/content/read-content.test.ts']],
  ['fingerprint-without-entries', 'src/build/write-documents.ts', "const keys = plan.articles.length > 0 ?", "const keys = plan.articles.length > 1e9 ?", ['test/build/build-feeds.cache.test.ts', 'test/build/build-cache.test.ts']],
  ['model-update-skips-multi-topic', 'src/feeds/content-model.ts', '    if (after?.ok && isIndexed(after.article, nowMs) && !replacedInPlace.has(change)) {', '    if (after?.ok && isIndexed(after.article, nowMs) && !replacedInPlace.has(change) && after.article.topics.length < 2) {', ['test/feeds/content-model.test.ts']],
  ['cache-stamp-ignores-config', 'src/build/cache-index.ts', "if (fields.config !== stamp.config) throw unusable('it was made with another configuration');", '', ['test/build/build-cache.test.ts']],
  ['cache-rest-not-checked', 'src/build/cache-index.ts', "if (createHash('sha256').update(bytes).digest('base64url') !== this.#sha256) throw new CacheIndexUnusable('the checksum of its rest does not match (corrupt)');", '', ['test/build/build-cache.test.ts']],
  ['cache-save-not-stopped', 'src/build/cache-index.ts', 'if (stop()) {', 'if (false) {', ['test/build/build-cache.test.ts']],
  ['cache-not-saved-on-close', 'src/build/thread-main.ts', '  if (buildUnderWay || (!saveTimer && !saveDue)) return;', '  return;', ['test/build/thread-host.test.ts']],
  ['parsers-loaded-with-nothing-to-do', 'src/build/build-feeds.ts', "import path from 'node:path';\n", "import path from 'node:path';\nimport './make-feeds.js';\n", ['test/build/build-feeds.lazy-load.test.ts']],
  ['entries-check-misses-promoted-claimant', 'src/build/make-feeds.ts', 'for (const outcome of [before, after])', 'for (const outcome of [after])', ['test/build/build-feeds.incremental.test.ts']],
  ['cache-server-skips-model', 'src/build/build-feeds.ts', 'const saved = last || dependencies.warmModel ? undefined : cache.lastBuild;', 'const saved = last ? undefined : cache.lastBuild;', ['test/build/build-cache.test.ts']],
  ['cache-failed-build-reads-rest', 'src/build/build-cache.ts', 'if (this.#unread) this.#forgetDocumentsOnRead = true;\n    else this.#documents.clear();', 'this.documents.clear();', ['test/build/build-cache.test.ts']],
  ['disk-fault-not-taken-back', 'src/build/reversible-writes.ts', 'for (let index = this.#applied.length - 1; index >= 0; index--) {', 'for (let index = -1; index >= 0; index--) {', ['test/build/disk-faults.test.ts', 'test/build/reversible-writes.test.ts']],
  ['disk-fault-append-not-cut-back', 'src/build/reversible-writes.ts', 'buildFs.truncateSync(file, done.size)', 'undefined', ['test/build/disk-faults.test.ts', 'test/build/reversible-writes.test.ts']],
  ['moved-page-always-unmoved', 'src/feeds/feed-documents.ts', 'return newest === undefined || (older !== undefined && isAtOrOlder(newest, older));', 'return true;', ['test/feeds/feed-documents.edges.test.ts', 'test/build/build-feeds.incremental.test.ts', 'test/build/build-feeds.pages.test.ts']],
  ['moved-page-older-edge-ignored', 'src/feeds/feed-documents.ts', '(older !== undefined && isAtOrOlder(newest, older))', 'older !== undefined', ['test/feeds/feed-documents.edges.test.ts', 'test/build/build-feeds.incremental.test.ts', 'test/build/build-feeds.pages.test.ts']],
  ['moved-claimants-left-out', 'src/feeds/content-model.ts', "  for (const id of touched) for (const claimant of index.claimants.get(id) ?? []) moved.add(claimant);\n", '', ['test/feeds/content-model.test.ts', 'test/build/build-feeds.incremental.test.ts']],
  ['moved-kept-from-last-model', 'src/feeds/content-model.ts', "return { ...last, files, nowMs, tracked, changes, moved: [] };", "return { ...last, files, nowMs, tracked, changes };", ['test/feeds/content-model.test.ts', 'test/build/build-feeds.incremental.test.ts']],
  ['partial-write-made-plans-skipped', 'src/build/write-documents.ts', "partial ? [...planned.made, ...planned.subscriptions", "partial ? [...planned.subscriptions", ['test/build/build-feeds.incremental.test.ts', 'test/build/build-trigger.test.ts']],
  ['partial-write-held-bodies-unchecked', 'src/build/write-documents.ts', ", ...planned.subscriptions.filter((plan) => writtenPlans.has(plan))] : plans", "] : plans", ['test/build/thread-host.test.ts', 'test/build/build-feeds.incremental.test.ts', 'test/build/build-trigger.test.ts']],
  ['planned-made-misses-pages', 'src/feeds/feed-documents.ts', "plans.push(newPlan(made, { document, articles: pageArticles,", "plans.push(({ document, articles: pageArticles,", ['test/feeds/feed-documents.test.ts', 'test/build/build-feeds.incremental.test.ts', 'test/build/build-feeds.pages.test.ts']],
  ['entry-state-unchanged-rewritten', 'src/feeds/deleted-entries.ts', "state: changed ? { version: 1, entries } : previous,", "state: { version: 1, entries },", ['test/build/build-feeds.deletions.test.ts']],
  ['model-feeds-filled-from-first-path', 'src/feeds/content-model.ts', "for (let at = 1; at < paths.length; at++) index.groups.get(paths[at]!)!.articles.push(article);", "for (let at = 1; at < Math.min(paths.length, 2); at++) index.groups.get(paths[at]!)!.articles.push(article);", ['test/feeds/content-model.test.ts']],
  ['inputs-digest-ignores-keys', 'src/build/build-cache.ts', "lines += `${files[index]!.file}\\0${files[index]!.key}\\n`;", "lines += `${files[index]!.file}\\n`;", ['test/build/build-cache.test.ts']],
  ['index-copy-changed-file-line', 'src/build/cache-index.ts', 'isSaved: (scanned, position) => positionOf(scanned) === position', 'isSaved: () => true', ['test/build/cache-index.test.ts']],
  ['index-copy-changed-written-file', 'src/build/cache-index.ts', 'isSaved: (scanned, position) => files[position] === scanned', 'isSaved: () => true', ['test/build/cache-index.test.ts']],
  ['index-copy-unchecked-file', 'src/build/cache-index.ts', "if (main.digest('base64url') === parts.sha256 && rest.digest('base64url') === parts.restSha256) return new LineCopier(fd);", 'return new LineCopier(fd);', ['test/build/cache-index.test.ts']],
  ['index-copy-open-line', 'src/build/cache-index.ts', 'if (count === 0 || (count < LINE_MAX && !closesLine(last))) return;', 'if (count === 0) return;', ['test/build/cache-index.test.ts']],
  ['index-copy-mid-line', 'src/build/cache-index.ts', 'const saved = line.length === 0 && copy ?', 'const saved = copy ?', ['test/build/cache-index.test.ts']],
  ['index-lines-end-by-count', 'src/build/cache-index.ts', 'return ((hash ^ (hash >>> 16)) & (LINE_MEAN - 1)) === 0;', 'return false;', ['test/build/cache-index.test.ts', 'test/build/build-cache.test.ts']],
  ['cache-save-copies-nothing', 'src/build/build-cache.ts', 'lastBuild: cache.lastBuild, saved: cache.savedLines }', 'lastBuild: cache.lastBuild, saved: undefined }', ['test/build/build-cache.test.ts']],
  ['cache-saved-lines-not-the-new-index', 'src/build/build-cache.ts', "    saved = saveIndex(file, stamp, contents);\n  } catch (error) {\n    throw new DiskWriteError(file, error);\n  }\n  cache.savedLines = saved.lines;", "    saved = saveIndex(file, stamp, contents);\n  } catch (error) {\n    throw new DiskWriteError(file, error);\n  }", ['test/build/build-cache.test.ts']],
  ['index-written-line-misplaced', 'src/build/cache-index.ts', "        const start = this.#given;\n        const wrote", "        const start = this.#given + 1;\n        const wrote", ['test/build/cache-index.test.ts']],
  ['index-written-lines-unplaced', 'src/build/cache-index.ts', "    next.placed({ size: placed.bytes, restStart, scanStart, trailerStart: placed.trailerStart, sha256: placed.sha256, restSha256: placed.restSha256 });\n", '', ['test/build/cache-index.test.ts', 'test/build/build-cache.test.ts']],
  ['inputs-digest-chunk-edge', 'src/build/build-cache.ts', 'const end = Math.min(files.length, start + DIGEST_CHUNK);', 'const end = Math.min(files.length, start + DIGEST_CHUNK - 1);', ['test/build/build-cache.test.ts']],
  ['listing-print-ignores-ctime', 'src/build/stat-threads.ts', 'numbers[at + 2] = stat.ctimeMs;', 'numbers[at + 2] = 0;', ['test/build/build-feeds.saved-build.test.ts']],
  ['listing-print-unsettled-saved', 'src/build/scan-content.ts', 'return settled ? listingPrint(candidates, CandidateStats.of(stats)) : undefined;', 'return listingPrint(candidates, CandidateStats.of(stats));', ['test/build/build-feeds.saved-build.test.ts']],
  ['listing-print-due-date-ignored', 'src/build/build-feeds.ts', 'if (saved?.listing === undefined || startedAt.getTime() >= saved.validUntil) return undefined;', 'if (saved?.listing === undefined) return undefined;', ['test/build/build-feeds.saved-build.test.ts']],
  ['listing-print-without-kinds', 'src/build/scan-content.ts', '    .update(kinds)\n', '', ['test/build/scan-content.test.ts']],
  ['trusted-at-ignores-racy', 'src/build/scan-content.ts', 'return known !== undefined && stats.is(index, known.stat) && isSettled(known.stat, known.checkedAt);', 'return known !== undefined && stats.is(index, known.stat);', ['test/build/scan-content.test.ts']],
  ['candidate-stats-is-ignores-ino', 'src/build/stat-threads.ts', ' && numbers[at + 3] === stat.ino;', ';', ['test/build/scan-content.test.ts']],
  ['stat-into-keeps-stale-file', 'src/build/stat-threads.ts', '    isFile[index] = 0;\n', '', ['test/build/stat-threads.test.ts']],
  ['listing-print-problems-skipped', 'src/build/scan-content.ts', 'files[index]?.stat ?? statCandidate(root, candidate)', 'files[index]?.stat', ['test/build/build-feeds.saved-build.test.ts']],
  ['saved-build-kept-with-a-feed-deleted', 'src/build/build-feeds.ts', '  if (!noListedFileGone(feedsDir, saved.folders, manifest.mtimeMs)) return undefined;\n', '', ['test/build/build-feeds.saved-build.test.ts']],
  ['folder-check-lists-no-folder', 'src/build/write-feeds.ts', 'if (statSync(where).mtimeMs < manifestMtimeMs) continue;', 'statSync(where);\n      continue;', ['test/build/build-feeds.saved-build.test.ts']],
  ['folder-counts-leave-out-subfolders', 'src/build/write-feeds.ts', '    count(parentOf(folder));\n', '', ['test/build/build-feeds.saved-build.test.ts']],
  ['folder-check-counts-own-files', 'src/build/write-feeds.ts', 'if (!isOwnFile(name)) present++;', 'present++;', ['test/build/build-feeds.saved-build.test.ts']],
  ['scheduled-build-trusts-feeds-folder', 'src/build/build-feeds.ts', "const folderWhole = changes.kind !== 'unknown' ||", 'const folderWhole = true ||', ['test/build/build-feeds.incremental.test.ts']],
  ['feed-lists-not-shared', 'src/feeds/deleted-entries.ts', '  if (known) return known;\n', '', ['test/feeds/deleted-entries.test.ts']],
  ['scan-takes-a-file-gone-midway-as-removed', 'src/build/scan-content.ts', "if (result === 'gone') throw new ContentChangedDuringBuild(listed, 'was listed, then gone before it was read');", "if (result === 'gone') return;", ['test/build/build-feeds.removal-guard.test.ts']],
  ['name-not-utf8-taken-as-gone', 'src/content/read-content.ts', "if (code === 'ENOENT' && relative.includes('\\uFFFD'))", 'if (false)', ['test/content/read-content.test.ts', 'test/build/build-feeds.removal-guard.test.ts']],
  ['joined-paths-cut-short', 'src/build/stat-threads.ts', 'starts[count] = joined.length + 1;', 'starts[count] = joined.length;', ['test/build/stat-threads.test.ts']],
  ['joined-paths-start-at-separator', 'src/build/stat-threads.ts', 'starts[index] = at + 1;', 'starts[index] = at;', ['test/build/stat-threads.test.ts']],
  ['stop-claims-go-on', 'src/build/parse-threads.ts', '      if (job.stop?.aborted && unclaimed === candidates.length) unclaimed =', '      if (false) unclaimed =', ['test/build/parse-threads.test.ts', 'test/build/build-feeds.stop.test.ts']],
  ['stop-results-not-cut', 'src/build/parse-threads.ts', '  results.length = unclaimed;\n', '', ['test/build/parse-threads.test.ts', 'test/build/build-feeds.stop.test.ts']],
  ['stopped-scan-not-kept', 'src/build/scan-content.ts', '    cache.files.set(file.file, file);\n    cache.dirty = true;\n', '', ['test/build/build-feeds.stop.test.ts']],
  ['stopped-build-not-saved', 'src/build/build-feeds.ts', '      if (dependencies.saveCache !== false && cache.dirty) saveBuildCache(cache, stamp, liveEntryKeys(cache));\n    } else {', '    } else {', ['test/build/build-feeds.stop.test.ts']],
  ['thread-close-lets-build-run', 'src/build/thread-main.ts', '    buildUnderWay.stop.abort();\n', '', ['test/build/thread-host.test.ts']],
  ['thread-stopped-build-not-saved', 'src/build/thread-main.ts', '    if (error instanceof BuildStopped) saveDue = true;\n', '', ['test/build/thread-host.test.ts']],
  ['schedule-stop-from-thread-a-failure', 'src/build/schedule.ts', "if ((error as { code?: unknown } | undefined)?.code === 'BUILD_STOPPED') {", "if (error instanceof Error && error.name === 'FeedServiceError' && (error as { code?: unknown }).code === 'BUILD_STOPPED') {", ['test/build/schedule.test.ts']],
  ['left-feed-not-announced', 'src/feeds/deleted-entries.ts', '    addLeftNotices(tombstones, id, left);\n    nextExpiry = Math.min(nextExpiry, leftNoticesExpiry(left, retentionMs));\n  }\n  let deleted = 0;', '  }\n  let deleted = 0;', ['test/feeds/deleted-entries.test.ts', 'test/build/build-feeds.deletions.test.ts']],
  ['left-feed-not-announced-incrementally', 'src/feeds/content-model.ts', '      const left = feedsLeft(before, feeds, now, retentionMs);', '      const left: Record<string, string> | undefined = undefined;', ['test/feeds/content-model.test.ts', 'test/build/build-feeds.deletions.test.ts']],
  ['left-feed-never-expires', 'src/feeds/deleted-entries.ts', 'if (!feeds.includes(feed) && now.getTime() - Date.parse(at) < retentionMs)', 'if (!feeds.includes(feed))', ['test/feeds/deleted-entries.test.ts']],
  ['left-feed-kept-on-return', 'src/feeds/deleted-entries.ts', 'if (!feeds.includes(feed) && now', 'if (now', ['test/feeds/deleted-entries.test.ts']],
  ['cli-stop-exits-at-once', 'src/cli/build-feeds.ts', '    if (building && signalled === undefined) {', '    if (false) {', ['test/cli/build-feeds.test.ts']],
  ['stop-not-seen-while-writing', 'src/build/write-documents.ts', '        throwIfStopped(stop);\n', '', ['test/build/build-feeds.stop.test.ts']],
  ['stat-helper-unused-left-running', 'src/build/stat-threads.ts', '    started?.stop();\n', '', ['test/build/stat-threads.test.ts']],
  ['reply-parts-not-paced', 'src/build/thread-host.ts', '    await next;\n', '', ['test/build/thread-host.test.ts']],
  ['reply-in-one-message', 'src/build/thread-host.ts', 'const slices = Math.max(1, ...[changed, names ?? [], report.written].map((items) => Math.ceil(items.length / sliceFiles)));', 'const slices = 1;', ['test/build/thread-host.test.ts']],
  ['reply-parts-names-dropped', 'src/build/thread-host.ts', 'for (const name of reply.part.names ?? []) pending.names.push(name);', '', ['test/build/thread-host.test.ts']],
  ['reply-parts-written-dropped', 'src/build/thread-host.ts', 'for (const name of reply.part.written) pending.written.push(name);', '', ['test/build/thread-host.test.ts']],
  ['watcher-name-not-utf8-taken-as-gone', 'src/content/read-content.ts', 'if (!holdsUndecodableName(root, relative)) {', 'if (true) {', ['test/content/read-content.test.ts']],
  ['state-text-pieces-written-whole', 'src/build/write-all.ts', 'if (this.#characters < TEXT_CHUNK_CHARACTERS) return false;', 'return false;', ['test/build/write-all.test.ts']],
  ['scan-progress-every-chunk', 'src/build/scan-progress.ts', 'if (at - last < intervalMs) return;', '', ['test/build/scan-progress.test.ts']],
  ['scan-chunks-taken-after-own-loop', 'src/build/parse-threads.ts', 'if (helperCount > 0) await setImmediate();', '', ['test/build/parse-threads.test.ts']],
  ['scan-progress-not-told', 'src/build/parse-threads.ts', 'job.onProgress?.(read, candidates.length);', '', ['test/build/parse-threads.test.ts']],
  ['write-thread-close-does-not-wait', 'src/build/write-threads.ts', '    try {\n      this.#waitForAll();\n    } catch (error) {\n      this.#failure ??= error as Error;\n    }\n', '', ['test/build/write-threads.test.ts']],
  ['write-thread-trusts-every-entry', 'src/build/write-threads.ts', 'if (job.checked[index]) reader.trust(location);', 'reader.trust(location);', ['test/build/write-threads.test.ts']],
  ['write-thread-failure-dropped', 'src/build/write-threads.ts', "if ('failure' in answer) this.#failure ??= failureError(answer.failure);", "if ('failure' in answer) continue;", ['test/build/write-threads.test.ts', 'test/build/build-feeds.write-thread.test.ts']],
  ['write-thread-never-used', 'src/build/write-documents.ts', 'if (rendered > writeThreadAfter) {', 'if (false) {', ['test/build/build-feeds.write-thread.test.ts']],
  ['made-folder-taken-for-every-folder', 'src/build/write-feeds.ts', 'return this.#madeFolders.has(path.dirname(target));', 'return true;', ['test/build/write-feeds.test.ts', 'test/build/build-feeds.saved-build.test.ts']],
  ['write-thread-file-order-lost', 'src/build/write-feeds.ts', '    for (const name of this.#order) {\n      const { changed: _changed, ...file } = this.#current.get(name)!;', '    for (const written of this.#current.values()) {\n      const { changed: _changed, ...file } = written;', ['test/build/build-feeds.write-thread.test.ts']],
  ['heap-release-no-second-collection', 'src/build/heap-release.ts', '      if (secondDue === undefined) return;\n      after(idleMs, second);', '      if (secondDue === undefined) return;\n      after(idleMs, () => {});', ['test/build/heap-release.test.ts']],
  ['heap-release-second-at-once', 'src/build/heap-release.ts', '      if (secondDue === undefined) return;\n      after(idleMs, second);', '      if (secondDue === undefined) return;\n      after(0, second);', ['test/build/heap-release.test.ts']],
  ['heap-release-ignores-live-cap', 'src/build/heap-release.ts', ' && liveBytes() <= maxLiveBytes) {', ') {', ['test/build/heap-release.test.ts']],
  ['heap-release-while-busy', 'src/build/heap-release.ts', 'if (collect === null || secondDue === undefined || isBusy()) return;', 'if (collect === null || secondDue === undefined) return;', ['test/build/heap-release.test.ts']],
  ['uri-fast-path-any-hash', 'src/content/uri-text.ts', "(?:#[A-Za-z0-9\\-._~:/?@!$&'()*+,;=]*)?$/", "(?:#[A-Za-z0-9\\-._~:/?@!$&'()*+,;=#]*)?$/", ['test/content/uri-text.test.ts']],
  ['uri-fast-path-percent', 'src/content/uri-text.ts', "const PLAIN_URI = /^[A-Za-z0-9", "const PLAIN_URI = /^[%A-Za-z0-9", ['test/content/uri-text.test.ts']],
  ['uri-fast-path-brackets', 'src/content/uri-text.ts', "const PLAIN_URI = /^[A-Za-z0-9", "const PLAIN_URI = /^[\\[\\]A-Za-z0-9", ['test/content/uri-text.test.ts']],
  ['page-digest-never-trusted', 'src/feeds/feed-documents.ts', '(digest === undefined || digest !== edge.digest)', '(true)', ['test/feeds/feed-documents.edges.test.ts']],
  ['page-digest-not-compared', 'src/feeds/feed-documents.ts', '(digest === undefined || digest !== edge.digest)', '(edge.digest === undefined)', ['test/feeds/feed-documents.edges.test.ts']],
  ['page-digest-on-new-oversized-page', 'src/feeds/feed-documents.ts', 'const digest = isOversized ? undefined :', 'const digest =', ['test/feeds/feed-documents.edges.test.ts']],
  ['page-digest-on-kept-oversized-page', 'src/feeds/feed-documents.ts', 'else if (digest !== undefined) recorded', 'if (digest !== undefined) recorded', ['test/feeds/feed-documents.edges.test.ts']],
  ['page-digests-added-not-written', 'src/feeds/feed-documents.ts', 'if (digestsAdded(kept, cut.edges)) edges.changed = true;', '', ['test/feeds/feed-documents.edges.test.ts']],
  ['page-digest-without-name', 'src/feeds/feed-documents.ts', 'digestOf.call(sizes, all, start, end, collection.name)', "digestOf.call(sizes, all, start, end, 'AI')", ['test/feeds/feed-documents.edges.test.ts']],
  ['page-digests-any-stamp', 'src/feeds/page-edges.ts', 'settings.stamp !== undefined && parsed.stamp === settings.stamp', 'true', ['test/feeds/page-edges.test.ts']],
  ['iso-date-no-400-year-rule', 'src/content/iso-date.ts', '(year % 100 !== 0 || year % 400 === 0)', 'year % 100 !== 0', ['test/content/iso-date.test.ts']],
  ['iso-date-small-year-alone', 'src/content/iso-date.ts', 'date.setUTCFullYear(year, month - 1, day);', 'date.setUTCFullYear(year);', ['test/content/iso-date.test.ts']],
  ['heap-release-compacts-while-busy', 'src/build/heap-release.ts', '    if (secondDue === undefined || isBusy()) return;', '    if (secondDue === undefined) return;', ['test/build/heap-release.test.ts']],
  ['heap-release-no-compaction', 'src/build/heap-release.ts', "    setFlagsFromString('--compact-on-every-full-gc');", '', ['test/build/heap-release.test.ts']],
  ['heap-release-compaction-left-on', 'src/build/heap-release.ts', "      setFlagsFromString('--no-compact-on-every-full-gc');", '', ['test/build/heap-release.test.ts']],
  ['heap-release-never-compacts', 'src/build/heap-release.ts', '    const compactionMs = compact ? timed(compact) : 0;', '    const compactionMs = 0;', ['test/build/heap-release.test.ts']],
  ['heap-release-never-again', 'src/build/heap-release.ts', 'if (earlier === undefined && young > YOUNG_GENERATION_RELEASED_BYTES)', 'if (false)', ['test/build/heap-release.test.ts']],
  ['heap-release-again-forever', 'src/build/heap-release.ts', 'if (earlier === undefined && young > YOUNG_GENERATION_RELEASED_BYTES)', 'if (young > YOUNG_GENERATION_RELEASED_BYTES)', ['test/build/heap-release.test.ts']],
  ['page-edges-same-by-length', 'src/feeds/page-edges.ts', 'if (edge !== other && (edge.time !== other.time || edge.id !== other.id)) return false;', '', ['test/feeds/page-edges.test.ts']],
  ['model-all-collection-kept', 'src/feeds/content-model.ts', '  else FeedList.insert(index.publishable, article, compareForFeeds);\n  index.all = undefined;', '  else FeedList.insert(index.publishable, article, compareForFeeds);', MODEL_UPDATE_TESTS],
  ['model-group-collection-kept', 'src/feeds/content-model.ts', '    FeedList.remove(group.articles, article, compareForFeeds);\n    group.collection = undefined;', '    FeedList.remove(group.articles, article, compareForFeeds);', MODEL_UPDATE_TESTS],
  ['model-emptied-list-taken-for-empty', 'src/feeds/content-model.ts', 'collection.path === path && collection.articles === NO_ARTICLES', 'collection.path === path && collection.articles.length === 0', MODEL_UPDATE_TESTS],
  ['model-replace-keeps-publishable', 'src/feeds/content-model.ts', '  FeedList.replace(index.publishable, before, after, compareForFeeds);', '', MODEL_UPDATE_TESTS],
  ['rescan-unchanged-by-identity', 'src/build/build-feeds.ts', '(scan.knownChanges ? scan.knownChanges.changes.length === 0 : sameFiles(scan.files, last.files))', 'sameFiles(scan.files, last.files)', ['test/build/build-feeds.deletions.test.ts', 'test/build/build-feeds.cache.test.ts']],
  ['raced-build-keeps-last', 'src/build/build-feeds.ts', '        cache.model = undefined;\n        cache.last = undefined;\n', '        cache.model = undefined;\n', ['test/build/build-feeds.incremental.test.ts']],
  ['kept-build-listing-not-saved', 'src/build/build-feeds.ts', '      if (listing !== undefined && listing !== saved.listing) {', '      if (false) {', ['test/build/build-feeds.saved-build.test.ts']],
  ['no-scavenge-after-work', 'src/build/heap-release.ts', '      scavenge?.();\n', '', ['test/build/heap-release.test.ts']],
  ['scavenge-does-nothing', 'src/build/heap-release.ts', "return collect && (() => collect({ type: 'minor' }));", 'return collect && (() => {});', ['test/build/heap-release.test.ts']],
  ['result-files-not-kept', 'src/build/build-result.ts', '    if (!taken) copy = [...manifest.files.values()];', '', MANIFEST_TESTS],
  ['result-rows-after-change', 'src/build/build-result.ts', '    peek: () => (copy ? { count: copy.length, files: copy } : { count: manifest.files.size, files: manifest.files.values() }),', '    peek: () => ({ count: manifest.files.size, files: manifest.files.values() }),', MANIFEST_TESTS],
  ['result-hook-holds-result', 'src/build/build-result.ts', '  const rows = rowsAsTheyStand(manifest);\n', '  const rows = rowsAsTheyStand(manifest);\n  whenFilesChange(manifest.files, () => void delta);\n', ['test/build/build-result.test.ts']],
  ['no-change-makes-files', 'src/build/build-feeds.ts', '    everyFile(last.result, held) &&', '    last.result.files.every(held) &&', ['test/build/build-result.test.ts']],
  ['manifest-change-unannounced', 'src/build/write-feeds.ts', '    if (!complete) filesChanging(this.previous);', '', MANIFEST_TESTS],
  ['model-same-list-trusted', 'src/feeds/content-model.ts', '  if (files === last.files) return undefined;\n', '', ['test/feeds/content-model.test.ts']],
  ['model-replace-other-feeds', 'src/feeds/content-model.ts', '  if (!samePlacements(placements(before), feeds)) return false;', '', MODEL_UPDATE_TESTS],
  ['model-replace-other-date', 'src/feeds/content-model.ts', 'if (before.file !== after.file || compareForFeeds(before, after) !== 0 || id !== entryId(after)) return false;', 'if (before.file !== after.file) return false;', MODEL_UPDATE_TESTS],
  ['model-replace-in-loser-lists', 'src/feeds/content-model.ts', '  if (place > 0) return true;', '  if (place > 1) return true;', MODEL_UPDATE_TESTS],
  ['writes-trusts-manifest-never', 'src/build/write-feeds.ts', 'const onDisk = intact ?', 'const onDisk = false ?', ['test/build/write-feeds.test.ts']],
  ['content-file-opened-blocking', 'src/content/read-content.ts', 'openSync(absolute, OPEN_FOR_READING)', "openSync(absolute, 'r')", ['test/content/read-content.test.ts']],
  ['not-regular-file-ignored', 'src/content/read-content.ts', 'return info.isDirectory() ? undefined : notRegular();', 'return undefined;', ['test/content/read-content.test.ts']],
  ['subfolder-fault-names-content-folder', 'src/content/read-content.ts', 'failed?.startsWith(root + path.sep)', 'false', ['test/content/read-content.test.ts']],
  ['temporary-name-grows-with-target', 'src/build/reversible-writes.ts', 'temporaryName(path.basename(target), token)', '`.${path.basename(target)}.${token}.tmp`', ['test/build/reversible-writes.test.ts', 'test/build/write-feeds.test.ts', 'test/build/build-feeds.test.ts']],
  ['front-matter-language-unchecked', 'src/content/parse-article.ts', 'if (!YAML_LANGUAGES.has(frontMatterLanguage(source))) {', 'if (false) {', ['test/content/parse-article.test.ts']],
  ['alias-walked-per-path', 'src/content/article-schema.ts', "value !== 'object' || seen.has(value)) return false;\n  seen.add(value);", "value !== 'object') return false;", ['test/content/parse-article.test.ts']],
  ['duplicate-id-by-file-alone', 'src/feeds/select-articles.ts', '  if (order !== 0) return order < 0;\n', '', ['test/feeds/select-articles.test.ts', 'test/feeds/content-model.test.ts']],
  ['duplicate-id-copy-wins-tie', 'src/feeds/select-articles.ts', 'return length < 0 || (length === 0 && compareCodePoints(a.file, b.file) < 0);', 'return compareCodePoints(a.file, b.file) < 0;', ['test/feeds/select-articles.test.ts']],
  ['rss-excerptless-content-encoded', 'src/render/entry-fragments.ts', "entry.summary === undefined ? 'description' : 'content:encoded'", "'content:encoded'", ['test/render/w3c-findings.test.ts']],
  ['yaml-tab-indent-accepted', 'src/content/parse-article.ts', '      refuseTabIndentedKey(source);\n', '', ['test/content/parse-article.test.ts']],
  ['embed-fallback-markup-kept', 'src/render/markdown-html.ts', '    at = embed.end;\n', "    at = html.indexOf('>', embed.start) + 1;\n", ['test/render/markdown-html.test.ts', 'test/build/build-feeds.escaping.test.ts']],
  ['embed-in-link-linked', 'src/render/markdown-html.ts', '(embed.inLink ? name :', '(false ? name :', ['test/render/markdown-html.test.ts']],
  ['cr-line-endings-unnamed', 'src/content/parse-article.ts', 'if (CR_ONLY_OPENING_LINE.test(source)) {', 'if (false) {', ['test/content/parse-article.test.ts']],
  ['folder-locks-feeds-kept-on-state-refusal', 'src/build/folder-locks.ts', '      release();\n      throw error;', '      throw error;', ['test/build/folder-locks.test.ts']],
  ['feeds-lock-ignores-holder', 'src/build/folder-locks.ts', 'if (holder !== undefined && isOtherLiveProcess(holder)) throw inUse(dir, setting, holder);', '', ['test/build/folder-locks.test.ts']],
  ['metrics-responses-uncounted', 'src/http/create-server.ts', '  metrics?.countResponsesOf(server);\n', '', ['test/http/service-metrics.test.ts']],
  ['metrics-counts-other-servers', 'src/http/service-metrics.ts', '        if (sentBy !== server) return;\n', '', ['test/http/service-metrics.test.ts']],
  ['metrics-server-held-after-close', 'src/http/service-metrics.ts', '        if (subscribed) diagnosticsChannel.unsubscribe(RESPONSE_FINISHED, countFinished);\n', '', ['test/http/service-metrics.subscription.test.ts']],
  ['metrics-not-counted-after-listening-again', 'src/http/service-metrics.ts', "server.on('listening', subscribe);", "server.once('listening', subscribe);", ['test/http/service-metrics.subscription.test.ts']],
  ['store-keeps-build-report', 'src/http/feed-store.ts', 'this.#reported = reportedCounts(result.report);', 'this.#reported = Object.assign(reportedCounts(result.report), { report: result.report });', ['test/http/feed-store.test.ts']],
  ['archive-pages-as-objects', 'src/http/served-files.ts', 'if (isServedFromMemory(name) || type === undefined) {', 'if (true) {', ['test/http/feed-store.test.ts']],
  ['served-files-set-keeps-page', 'src/http/served-files.ts', '    this.#deleteOnDisk(file.name);\n    this.#files.set(file.name, file);', '    this.#files.set(file.name, file);', ['test/http/served-files.test.ts']],
  ['served-files-growth-loses-times', 'src/http/served-files.ts', '      mtimeMs.set(this.#mtimeMs);\n', '', ['test/http/served-files.test.ts', 'test/http/feed-store.test.ts']],
  ['served-files-free-slot-kept', 'src/http/served-files.ts', 'const free = this.#freeSlots.pop();', 'const free = this.#freeSlots[0];', ['test/http/served-files.test.ts']],
  ['served-files-page-type-dropped', 'src/http/served-files.ts', '    this.#types[slot] = type;\n', '', ['test/http/served-files.test.ts']],
  ['disk-file-in-other-folder', 'src/http/app.ts', 'sendDiskFile(request, response, snapshot.folder + file.name,', 'sendDiskFile(request, response, file.name,', ['test/http/feed-store.test.ts', 'test/http/app.test.ts']],
  ['metrics-failed-builds-uncounted', 'src/http/feed-store.ts', '    this.#failed++;\n', '', ['test/http/service-metrics.test.ts']],
  ['metrics-unknown-shown-as-zero', 'src/http/service-metrics.ts', 'if (current === undefined) return', 'if (current === -1) return', ['test/http/service-metrics.test.ts']],
  ['listing-vanished-folder-fails', 'src/content/read-content.ts', '      if (attempt < LISTING_ATTEMPTS && vanishedInside(root, error)) continue;\n', '', ['test/content/read-content.test.ts']],
  ['cli-prints-control-characters', 'src/cli/build-feeds.ts', 'stream.write(`${terminalText(line)}\\n`);', 'stream.write(`${line}\\n`);', ['test/cli/build-feeds.test.ts']],
  ['heap-first-collection-at-once', 'src/build/heap-release.ts', 'if (!deferFirst) return first(beforeBytes);', 'return first(beforeBytes);', ['test/build/heap-release.test.ts']],
  ['heap-first-collection-always-deferred', 'src/build/heap-release.ts', 'if (!deferFirst) return first(beforeBytes);', '', ['test/build/heap-release.test.ts']],
  ['heap-first-deferred-after-small-replies', 'src/build/thread-host.ts', 'return files > REPLY_SLICE_FILES;', 'return files >= 0;', ['test/build/thread-host.test.ts']],
  ['heap-release-compacts-first', 'src/build/heap-release.ts', '    const pauseMs = timed(collect!);', '    const pauseMs = timed(compact ?? collect!);', ['test/build/heap-release.test.ts']],
  ['bench-cpu-last-round-responses', 'bench/load.ts', 'responses += load.responses;', 'responses = load.responses;', ['test/bench/load.test.ts']],
  ['bench-cpu-missing-reading-skipped', 'bench/load.ts', 'if (load.cpuMs === undefined) return null;', 'if (load.cpuMs === undefined) continue;', ['test/bench/load.test.ts']],
  ['bench-round-ratios-unpaired', 'bench/report.ts', 'ours.length !== reference.length', 'false', ['test/bench/report.test.ts']],
  ['metrics-token-unchecked', 'src/http/app.ts', 'if (metricsToken !== undefined && !hasBearerToken(', 'if (false && !hasBearerToken(', ['test/http/service-metrics.test.ts']],
  ['bearer-scheme-optional', 'src/http/bearer-token.ts', '/^bearer +(\\S+)$/i', '/^(?:bearer +)?(\\S+)$/i', ['test/http/bearer-token.test.ts']],
  ['bearer-prefix-accepted', 'src/http/bearer-token.ts', 'return timingSafeEqual(digest(given), digest(token));', 'return token.startsWith(given);', ['test/http/bearer-token.test.ts']],
  ['metrics-token-short-allowed', 'src/http/bearer-token.ts', '{16,}=*$/', '{1,}=*$/', ['test/http/bearer-token.test.ts', 'test/config.test.ts']],
  ['entry-state-text-kept', 'src/build/entry-state.ts', "const head = Buffer.from(text.slice(0, 200), 'utf8').toString('utf8');", 'const head = text.slice(0, 200);', ['test/build/entry-state.test.ts']],
  ['entry-state-generation-lost', 'src/build/entry-state.ts', '.exec(head)?.[1];', '.exec(head)?.[0];', ['test/build/entry-state.test.ts']],
  ['feed-paths-copied', 'src/feeds/deleted-entries.ts', 'const list = feeds.map((feed) => {', 'const list = feeds; feeds.map((feed) => {', ['test/feeds/deleted-entries.test.ts']],
  ['feed-lists-unshared', 'src/feeds/deleted-entries.ts', 'if (known) return known;', '', ['test/feeds/deleted-entries.test.ts']],
  ['file-stat-plain-object', 'src/content/read-content.ts', 'return stats instanceof KeptStat ? stats : new KeptStat(stats);', 'return { size: unboxed(stats.size), mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: unboxed(stats.ino) };', ['test/content/read-content.test.ts']],
  ['scan-keeps-sent-stats', 'src/build/scan-content.ts', '  const stat = fileStat(result.stat);', '  const stat = result.stat;', ['test/build/scan-content.test.ts']],
  ['bench-build-time-unread', 'bench/cold-builds.ts', ' ms(?: \\(\\d+ parsed; [^)]*\\))?\\.$/m', ' ms\\.$/m', ['test/cli/build-feeds.test.ts']],
  ['entry-reader-written-per-entry', 'src/build/entry-store.ts', '    this.#written.add(location.segment);', '    this.#checked.add(location);', ['test/build/entry-store.test.ts']],
  ['entry-reader-trust-whole-segment', 'src/build/entry-store.ts', 'if (!this.#written.has(location.segment)) this.#checked.add(location);', 'this.#written.add(location.segment);', ['test/build/entry-store.test.ts']],
];

// Imported (test/scripts/mutations.test.ts checks the list), it runs nothing.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) run(process.argv.slice(2));

function run(only) {
  const chosen = MUTATIONS.filter(([id]) => only.length === 0 || only.some((word) => id.includes(word)));
  const originals = new Map();
  const restore = () => {
    for (const [file, text] of originals) writeFileSync(file, text);
    originals.clear();
  };
  process.on('SIGINT', () => {
    restore();
    process.exit(130);
  });

  const results = [];
  const started = performance.now();
  for (const [id, file, find, replace, tests, equivalent] of chosen) {
    const absolute = path.join(root, file);
    const text = readFileSync(absolute, 'utf8');
    const count = text.split(find).length - 1;
    if (count !== 1) {
      results.push({ id, outcome: `does not apply (found ${count} times)` });
      continue;
    }
    originals.set(absolute, text);
    writeFileSync(absolute, text.replace(find, replace));
    const runStarted = performance.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=dot', ...tests], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: process.env.CI ?? '' }, timeout: 10 * 60_000 });
    restore();
    const seconds = Math.round((performance.now() - runStarted) / 100) / 10;
    const outcome = run.status !== 0 ? 'killed' : equivalent ? 'equivalent' : 'SURVIVED';
    results.push({ id, outcome, seconds, tests });
    process.stdout.write(`${outcome.padEnd(10)} ${id} (${seconds} s: ${tests.join(', ')})${outcome === 'equivalent' ? `\n           ${equivalent}` : ''}\n`);
  }
  const applied = results.filter((result) => result.seconds !== undefined);
  const killed = applied.filter((result) => result.outcome === 'killed').length;
  const equivalents = applied.filter((result) => result.outcome === 'equivalent').length;
  for (const result of results.filter((candidate) => candidate.seconds === undefined)) process.stdout.write(`STALE      ${result.id}: ${result.outcome}\n`);
  process.stdout.write(`\n${killed} of ${applied.length - equivalents} mutations killed, ${equivalents} equivalent (${Math.round((performance.now() - started) / 1000)} s)\n`);
  process.exitCode = killed + equivalents === applied.length && applied.length === results.length ? 0 : 1;
}
