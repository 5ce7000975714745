/**
 * Express's floor: a bare Express 5 app with one route sending the feed's bytes from memory with
 * the service's headers (no other middleware). `node --import tsx bench/floor-express.ts
 * <responses.json>`; prints {"msg":"listening","port":…} once it listens on 127.0.0.1.
 */
import { createServer } from 'node:http';
import express from 'express';
import { chooseResponse, loadFloorResponses } from './floor-responses.js';

const responses = loadFloorResponses(process.argv[2] ?? '');
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/feeds/*path', (request, response) => {
  const chosen = chooseResponse(responses, request.get('If-None-Match'), request.get('Accept-Encoding'));
  response.status(chosen.status).set(chosen.headers);
  response.end(chosen.status === 304 ? undefined : chosen.body);
});
const server = createServer(app);
server.listen({ port: 0, host: '127.0.0.1' }, () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'listening', floor: 'express', port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
