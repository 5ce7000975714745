import { createServer } from 'node:http';
import express from 'express';
const body = Buffer.alloc(120000, 97);
const app = express(); app.disable('x-powered-by'); app.set('etag', false);
app.get('/feeds/*path', (req, res) => {
  res.setHeader('Cache-Control', 'public, max-age=300'); res.setHeader('ETag', '"abc"'); res.setHeader('Vary','Accept, Accept-Encoding');
  if (req.headers['if-none-match'] === '"abc"') { res.statusCode = 304; res.end(); return; }
  res.setHeader('Content-Type', 'application/rss+xml; charset=utf-8'); res.end(body);
});
createServer(app).listen(8403, '127.0.0.1');
