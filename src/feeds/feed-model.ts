/**
 * The neutral model every renderer reads: one FeedDocument per feed, entries already sorted and
 * capped, all text clean, all URLs absolute. Built by pure functions from `Article`s; nothing in
 * it knows about RSS, Atom or JSON Feed.
 */

export interface FeedCategory {
  /** Machine term: the topic's slug (Atom `term`). */
  readonly term: string;
  /** Human label: the topic or category name (RSS text, Atom `label`, JSON Feed tag). */
  readonly label: string;
}

export interface FeedImage {
  readonly url: string;
  readonly type: string;
  readonly width?: number;
  readonly height?: number;
  readonly title?: string;
}

export interface FeedLink {
  readonly url: string;
  readonly title: string;
}

export interface FeedAuthor {
  readonly name: string;
  readonly url?: string;
  /** This service's RSS feed of the author's (a provider's) articles (RSS `<source url>`). */
  readonly feedUrl?: string;
}

export interface FeedEntry {
  /** Permanent: the same in every format and every rebuild. */
  readonly id: string;
  readonly title: string;
  readonly link: string;
  readonly ampUrl?: string;
  /** Plain text. */
  readonly summary?: string;
  /** Sanitised HTML. */
  readonly contentHtml: string;
  readonly published: Date;
  readonly updated: Date;
  readonly author?: FeedAuthor;
  readonly categories: readonly FeedCategory[];
  readonly images: readonly FeedImage[];
  readonly related: readonly FeedLink[];
}

/** Every address of one feed document, absolute. */
export interface FeedUrls {
  readonly rss: string;
  readonly atom: string;
  readonly json: string;
  /** The plain HTML page of the same entries. */
  readonly html: string;
}

/** What a feed collects: everything, one topic, one provider, or one category. */
export type FeedKind = 'all' | 'topic' | 'provider' | 'category';

/** Every kind of feed, in the order the feeds folder lists them. */
export const FEED_KINDS: readonly FeedKind[] = ['all', 'topic', 'provider', 'category'];

/** A kind of feed as settings name it (FEED_ARCHIVES=topics,all). */
export const FEED_KIND_NAMES: Readonly<Record<FeedKind, string>> = { all: 'all', topic: 'topics', provider: 'providers', category: 'categories' };

/** An entry that was published and is gone (removed, or made a draft): RFC 6721 in Atom. */
export interface Tombstone {
  readonly id: string;
  readonly deletedAt: Date;
}

export interface FeedDocument {
  /**
   * Where the document lives under /feeds/, without extension: `ai`, `all`,
   * `providers/pymnts.com`, `categories/news`, `archive/ai/3`. Also its file name stem.
   */
  readonly path: string;
  readonly kind: FeedKind;
  /** The topic, provider or category name; `all topics` for the all-topics feed. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly language: string;
  /** The human-facing site (RSS `<link>`, Atom rel="alternate", JSON Feed home_page_url). */
  readonly siteUrl: string;
  /** The publisher: the feed-level author Atom needs for entries without a provider. */
  readonly author: FeedAuthor;
  readonly urls: FeedUrls;
  /** On an archive document (RFC 5005): its page number (1 = oldest) and the subscription feed. */
  readonly archive?: { readonly page: number; readonly current: FeedUrls };
  /** The next older archive page (RFC 5005 prev-archive; JSON Feed next_url). */
  readonly prevArchive?: FeedUrls;
  /** The next newer archive page (RFC 5005 next-archive), on archive documents only. */
  readonly nextArchive?: FeedUrls;
  /** WebSub hub (rel="hub"). */
  readonly hubUrl?: string;
  /** The feeds' square icon and 2:1 logo (FeedSite). */
  readonly iconUrl: string;
  readonly logoUrl: string;
  /** Href of the XSL stylesheet, relative to this document, for browsers. */
  readonly stylesheetHref: string;
  /** The newest entry's updated date, never the clock, so unchanged content gives unchanged bytes. */
  readonly updated: Date;
  /** The Cache-Control max-age it is served with, in seconds (RSS `<ttl>` says the same in minutes). */
  readonly maxAgeSeconds: number;
  readonly entries: readonly FeedEntry[];
  /** Entries deleted recently, announced in Atom (subscription documents only). */
  readonly deleted: readonly Tombstone[];
}

/** A document without its entries: everything its head and links are made from. */
export type FeedDocumentHead = Omit<FeedDocument, 'entries'>;

/** What the feed documents are built from; resolved once from Config. */
export interface FeedSite {
  /** Public base URL the feeds are reached at, without a trailing slash. */
  readonly baseUrl: string;
  readonly siteUrl: string;
  readonly title: string;
  /** May contain `{topic}`. */
  readonly description: string;
  readonly language: string;
  /** Entries in a subscription feed, and in each archive page. */
  readonly maxItems: number;
  /**
   * The kinds of feed that get RFC 5005 archive pages, so that every article of such a feed stays
   * reachable from it (none: archives off). Ordered as FeedKind lists them (the config's stamp).
   */
  readonly archives: readonly FeedKind[];
  /**
   * The byte budget of each RSS, Atom and JSON Feed document (uncompressed): entries that would
   * push a document over it move to archive pages, or are left out with archives off.
   */
  readonly maxBytes: number;
  /** A WebSub hub to name in every feed. */
  readonly hubUrl?: string;
  /** A square image standing for the feeds (atom:icon, RSS <image>, JSON Feed icon and favicon, HTML icon). */
  readonly iconUrl: string;
  /** A 2:1 image standing for the feeds (atom:logo). */
  readonly logoUrl: string;
  /**
   * The Cache-Control max-age of subscription documents and of archive pages, in seconds: the
   * server sends it (CACHE_MAX_AGE, ARCHIVE_CACHE_MAX_AGE) and RSS `<ttl>` repeats it.
   */
  readonly maxAgeSeconds: { readonly subscription: number; readonly archive: number };
}
