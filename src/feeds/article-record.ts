import type { Article } from '../content/article-schema.js';

/**
 * What selection, grouping, paging and deletion tracking read of an article: its file, id, dates,
 * draft flag, topics, provider and category. An `Article` is one; the build keeps only these
 * fields of each article between stages (ArticleRecord), never its texts, so memory grows with
 * what is served rather than with the archive.
 */
export type Filing = Pick<Article, 'file' | 'id' | 'sourceUrl' | 'published' | 'publishedDateTime' | 'updatedDateTime' | 'topics' | 'provider' | 'category'>;

/**
 * An article as the build keeps it: its filing and `key`, the hash of its file's bytes, under
 * which the build cache finds its parse and its rendered entry (build/build-cache.ts).
 */
export interface ArticleRecord extends Filing {
  readonly key: string;
}

/**
 * The record of a parsed article whose file's bytes hash to `key`: fields copied one by one. A
 * draft's record says only that it is a draft: nothing of it (id, link, topics, provider) is kept
 * by the build or its cache, since nothing of a draft may reach any output.
 */
export function toArticleRecord(article: Article, key: string): ArticleRecord {
  if (!article.published) return draftRecord(article.file, key);
  return {
    file: article.file,
    key,
    id: article.id,
    sourceUrl: article.sourceUrl,
    published: article.published,
    publishedDateTime: article.publishedDateTime,
    updatedDateTime: article.updatedDateTime,
    topics: article.topics,
    provider: article.provider && (article.provider.domain === undefined ? { name: article.provider.name } : { name: article.provider.name, domain: article.provider.domain }),
    category: article.category,
  };
}

const DRAFT_DATE = new Date(0);

/** What the build keeps of a draft: that the file is one. */
export function draftRecord(file: string, key: string): ArticleRecord {
  return { file, key, id: undefined, sourceUrl: '', published: false, publishedDateTime: DRAFT_DATE, updatedDateTime: undefined, topics: [], provider: undefined, category: undefined };
}
