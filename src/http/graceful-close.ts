import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/** The response a socket is busy with: Node's own field (http-terminator relies on it too). */
function responseOn(socket: Socket): ServerResponse | null | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
}

/**
 * Stops a server without cutting a response short. Node's `server.close()` first destroys every
 * connection it deems idle, and a connection whose response is complete but still being flushed
 * to a slow reader counts as idle: `destroy()` then drops the unsent bytes. So this stops
 * listening with net.Server's own close, ends idle connections with `end()` (which flushes), and
 * ends busy ones as soon as their response has been handed over. Nothing is done per request
 * until closing starts: the serving path stays as short as Express allows.
 */
export function gracefulCloser(server: Server): { close: () => Promise<void> } {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const endAfterResponse = (socket: Socket) => {
    const response = responseOn(socket);
    if (!response) {
      socket.end();
      return;
    }
    if (!response.headersSent) response.setHeader('Connection', 'close');
    response.once('finish', () => socket.end());
    response.once('close', () => socket.end());
  };

  return {
    close: () =>
      new Promise<void>((resolve) => {
        // A request already read from a kept-alive connection is answered, then Node ends the
        // connection (the response says Connection: close).
        server.on('request', (_request, response: ServerResponse) => response.setHeader('Connection', 'close'));
        NetServer.prototype.close.call(server, () => resolve());
        for (const socket of sockets) endAfterResponse(socket);
      }),
  };
}
