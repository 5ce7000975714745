import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The characters of a bearer token (RFC 6750 §2.1, `b64token`), at least 16 of them: what
 * METRICS_TOKEN may be, so that it can be sent in an Authorization header as it is.
 */
export const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]{16,}=*$/;

/** `Bearer <token>`, the scheme in any case and spaces before the token (RFC 9110 §11.4). */
const BEARER_CREDENTIALS = /^bearer +(\S+)$/i;

/**
 * Whether an Authorization header carries `token` as its bearer token. Both sides are hashed
 * before they are compared in constant time, so neither the comparison nor a length check tells
 * how much of a guess was right.
 */
export function hasBearerToken(authorization: string | undefined, token: string): boolean {
  if (authorization === undefined) return false;
  const given = BEARER_CREDENTIALS.exec(authorization.trim())?.[1];
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(token));
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
