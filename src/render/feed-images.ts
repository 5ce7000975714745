import { IMAGE_FILES } from './feed-formats.js';
import { encodePng } from './png.js';

/**
 * The service's own feed icon and logo, served from /feeds/ unless FEED_ICON_URL / FEED_LOGO_URL
 * name others: the orange web-feed symbol (a dot and two arcs) on a rounded square (icon.png,
 * 256×256: atom:icon, RSS <image>, JSON Feed icon and favicon, the HTML pages' icon) and on a 2:1
 * rounded rectangle (logo.png, 256×128: atom:logo, as RFC 4287 §4.2.8 asks). PNG, which every
 * reader accepts; drawn here (about 0.1 s, once per process), so the same code gives the same
 * bytes. 256 rather than JSON Feed's suggested 512: a quarter of the drawing time, and readers
 * show feed icons far smaller.
 */
export function renderFeedImages(): { readonly name: string; readonly contentType: string; readonly body: Buffer }[] {
  images ??= [
    { name: IMAGE_FILES.icon.name, contentType: IMAGE_FILES.icon.contentType, body: drawFeedSymbol(256, 256) },
    { name: IMAGE_FILES.logo.name, contentType: IMAGE_FILES.logo.contentType, body: drawFeedSymbol(256, 128) },
  ];
  return images;
}

let images: ReturnType<typeof renderFeedImages> | undefined;

const ORANGE = [0xee, 0x80, 0x2f] as const;
/** Samples per pixel along each axis, for smooth edges. */
const SUPERSAMPLE = 2;

/** The symbol in a `size`×`size` box at the centre of a `width`×`height` orange rounded rectangle. */
function drawFeedSymbol(width: number, height: number): Buffer {
  const size = Math.min(width, height);
  const radius = size * 0.18;
  // The symbol's box, centred: the dot's centre and the arcs' centre are its lower-left corner.
  const left = (width - size * 0.6) / 2;
  const bottom = (height + size * 0.6) / 2;
  const unit = size * 0.6;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let inside = 0;
      let white = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const px = x + (sx + 0.5) / SUPERSAMPLE;
          const py = y + (sy + 0.5) / SUPERSAMPLE;
          if (!inRoundedRect(px, py, width, height, radius)) continue;
          inside++;
          const dx = (px - left) / unit;
          const dy = (bottom - py) / unit;
          if (isSymbol(dx, dy)) white++;
        }
      }
      if (inside === 0) continue;
      const samples = SUPERSAMPLE * SUPERSAMPLE;
      const offset = (y * width + x) * 4;
      const share = white / inside;
      for (let channel = 0; channel < 3; channel++) rgba[offset + channel] = Math.round(ORANGE[channel]! + (255 - ORANGE[channel]!) * share);
      rgba[offset + 3] = Math.round((255 * inside) / samples);
    }
  }
  return encodePng(width, height, rgba);
}

function inRoundedRect(x: number, y: number, width: number, height: number, radius: number): boolean {
  const cx = Math.min(Math.max(x, radius), width - radius);
  const cy = Math.min(Math.max(y, radius), height - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

/** The feed symbol in a unit box with its origin at the lower left: a dot and two quarter rings. */
function isSymbol(x: number, y: number): boolean {
  if (x < 0 || y < 0 || x > 1 || y > 1) return false;
  const dot = (x - 0.13) * (x - 0.13) + (y - 0.13) * (y - 0.13);
  if (dot <= 0.0169) return true;
  const squared = x * x + y * y;
  return (squared >= 0.16 && squared <= 0.3364) || (squared >= 0.6084 && squared <= 0.9216);
}
