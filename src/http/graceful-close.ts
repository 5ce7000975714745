import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/**
 * Stops a server without cutting a response short. Node's `server.close()` first destroys every
 * connection it deems idle, and a connection whose response is complete but still being flushed
 * to a slow reader counts as idle: `destroy()` then drops the unsent bytes. So this stops
 * listening with net.Server's own close, ends idle connections with `end()` (which flushes), and
 * ends busy ones as soon as their response has been handed over.
 */
export function gracefulCloser(server: Server): { close: () => Promise<void> } {
  const active = new Map<Socket, number>();
  let closing = false;

  server.on('connection', (socket: Socket) => {
    active.set(socket, 0);
    socket.on('close', () => active.delete(socket));
  });
  server.on('request', (request, response: ServerResponse) => {
    const socket = request.socket;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    if (closing) response.setHeader('Connection', 'close');
    response.on('finish', () => {
      const count = (active.get(socket) ?? 1) - 1;
      active.set(socket, count);
      if (closing && count === 0) socket.end();
    });
    response.on('close', () => {
      if (!response.writableFinished) active.set(socket, Math.max(0, (active.get(socket) ?? 1) - 1));
    });
  });

  return {
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        NetServer.prototype.close.call(server, () => resolve());
        for (const [socket, count] of active) if (count === 0) socket.end();
      }),
  };
}
