import type { IncomingMessage } from 'node:http';

/**
 * A superagent parser that collects the response body as raw bytes, whatever its type, so tests
 * see exactly what was sent (superagent would otherwise decode gzip and brotli before any parser).
 * In Node, superagent passes the IncomingMessage.
 */
export function bufferParser(message: unknown, callback: (error: Error | null, body: Buffer) => void): void {
  const response = message as IncomingMessage;
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
  response.on('error', (error) => callback(error, Buffer.alloc(0)));
}
