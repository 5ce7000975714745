/**
 * The responses both floor servers send: the exact bytes and headers the service sent for one
 * feed (identity 200, gzip 200, 304), captured by bench/serving.ts and saved as JSON.
 */
import { readFileSync } from 'node:fs';

export interface CapturedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Base64 of the body bytes as sent (compressed for gzip); empty for 304. */
  readonly body: string;
}

export interface FloorResponses {
  readonly identity: CapturedResponse;
  readonly gzip: CapturedResponse;
  readonly notModified: CapturedResponse;
  /** ETags that make a request conditional-GET-match (identity and gzip variants). */
  readonly etags: readonly string[];
}

export interface PreparedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export function loadFloorResponses(file: string): Record<'identity' | 'gzip' | 'notModified', PreparedResponse> & { etags: ReadonlySet<string> } {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as FloorResponses;
  const prepare = (response: CapturedResponse): PreparedResponse => ({
    status: response.status,
    headers: response.headers,
    body: Buffer.from(response.body, 'base64'),
  });
  return { identity: prepare(saved.identity), gzip: prepare(saved.gzip), notModified: prepare(saved.notModified), etags: new Set(saved.etags) };
}

/** The choice a feed server has to make per request, done as cheaply as possible. */
export function chooseResponse(
  responses: ReturnType<typeof loadFloorResponses>,
  ifNoneMatch: string | undefined,
  acceptEncoding: string | undefined,
): PreparedResponse {
  if (ifNoneMatch !== undefined && responses.etags.has(ifNoneMatch)) return responses.notModified;
  if (acceptEncoding !== undefined && acceptEncoding.includes('gzip')) return responses.gzip;
  return responses.identity;
}
