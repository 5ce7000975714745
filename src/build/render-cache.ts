import type { Article } from '../content/article-schema.js';
import { toFeedEntry } from '../render/feed-entry.js';
import { renderEntryFragments, type EntryFragments } from '../render/entry-fragments.js';
import type { FeedFile } from '../render/feed-formats.js';
import type { ContentModel } from './build-feed-files.js';
import type { DocumentPlan } from '../feeds/feed-documents.js';
import type { FeedEntry } from '../feeds/feed-model.js';

/**
 * What a long-running process keeps between builds so that a rebuild renders only what changed.
 * Keyed by object identity: an unchanged file's Article is the same object build after build
 * (the parse cache returns it), so its entry and revision are found again; a changed file's
 * Article is a new object and gets a new revision. Nothing here is shared between processes.
 */
export interface RenderCache {
  readonly entries: WeakMap<Article, FeedEntry>;
  readonly fragments: WeakMap<Article, EntryFragments>;
  readonly revisions: WeakMap<Article, number>;
  nextRevision: number;
  /** Rendered files per document path, with the fingerprint they were rendered from. */
  documents: Map<string, { readonly fingerprint: string; readonly files: readonly FeedFile[] }>;
  /** The last build's selection and grouping, reused when only article texts changed. */
  model?: ContentModel;
}

export function createRenderCache(): RenderCache {
  return { entries: new WeakMap(), fragments: new WeakMap(), revisions: new WeakMap(), nextRevision: 1, documents: new Map() };
}

/** The entry of an article, made once per article object. */
export function cachedEntry(cache: RenderCache, article: Article): FeedEntry {
  let entry = cache.entries.get(article);
  if (!entry) cache.entries.set(article, (entry = toFeedEntry(article)));
  return entry;
}

/** The entry of an article rendered in every format, once per article object. */
export function cachedFragments(cache: RenderCache, article: Article): EntryFragments {
  let fragments = cache.fragments.get(article);
  if (!fragments) cache.fragments.set(article, (fragments = renderEntryFragments(cachedEntry(cache, article))));
  return fragments;
}

function revision(cache: RenderCache, article: Article): number {
  let value = cache.revisions.get(article);
  if (value === undefined) cache.revisions.set(article, (value = cache.nextRevision++));
  return value;
}

/**
 * Everything a document's bytes depend on: its metadata (titles, links, dates, tombstones) and
 * which article revisions it holds, in order. Equal fingerprints give equal bytes.
 */
export function documentFingerprint(cache: RenderCache, plan: DocumentPlan): string {
  return `${JSON.stringify(plan.document)}|${plan.articles.map((article) => revision(cache, article)).join(',')}`;
}
