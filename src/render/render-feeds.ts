import { renderEntryFragments } from './entry-fragments.js';
import type { FeedFile } from './feed-formats.js';
import type { FeedDocument } from '../feeds/feed-model.js';
import { renderDocumentFiles } from './render-document.js';

/** One feed document in the three feed formats (RSS, Atom, JSON Feed), in memory. */
export function renderFeedFiles(document: FeedDocument): FeedFile[] {
  return renderDocumentFiles(document, document.entries.map(renderEntryFragments)).slice(0, 3);
}
