/**
 * The machine's limit: bare node:http sending the feed's bytes from memory with the service's
 * headers. `node --import tsx bench/floor-http.ts <responses.json>`; prints
 * {"msg":"listening","port":…} once it listens on 127.0.0.1 (an ephemeral port).
 */
import { createServer } from 'node:http';
import { chooseResponse, loadFloorResponses } from './floor-responses.js';

const responses = loadFloorResponses(process.argv[2] ?? '');
const server = createServer((request, response) => {
  const chosen = chooseResponse(responses, request.headers['if-none-match'], request.headers['accept-encoding']);
  response.writeHead(chosen.status, chosen.headers);
  response.end(chosen.status === 304 ? undefined : chosen.body);
});
server.listen({ port: 0, host: '127.0.0.1' }, () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'listening', floor: 'http', port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
