/** Image MIME types by file extension (IANA names: image/jpeg, never image/jpg). */
const IMAGE_TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  svg: 'image/svg+xml',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  ico: 'image/vnd.microsoft.icon',
};

/**
 * Used when an image URL has no known extension (the sample's `https://www.bing.com/th?id=…`).
 * Such endpoints serve JPEG in practice, and readers only need an image/* type to show it.
 */
export const DEFAULT_IMAGE_TYPE = 'image/jpeg';

/** The MIME type of an image from its URL's path extension, or DEFAULT_IMAGE_TYPE. */
export function imageTypeFromUrl(url: string): string {
  const { pathname } = new URL(url);
  const extension = /\.([a-z0-9]+)$/i.exec(pathname)?.[1]?.toLowerCase();
  return (extension && IMAGE_TYPES[extension]) || DEFAULT_IMAGE_TYPE;
}
