'use strict';
// distill's example Node.js service: GET / answers a greeting as JSON with the
// uptime (formatted by the one runtime dependency, ms), GET /healthz answers ok.
// It listens on $PORT (default 8080) and logs to stderr.

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const ms = require('ms');

// version is what `npm run build` wrote to dist/version.json, else package.json's.
function version() {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, 'dist', 'version.json'), 'utf8')).version;
  } catch {
    return require('./package.json').version;
  }
}

function createServer({ started = Date.now(), now = Date.now } = {}) {
  const ver = version();
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    if (url.pathname === '/') {
      const body = { message: 'Hello, world!', version: ver, uptime: ms(Math.max(0, now() - started)) };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body) + '\n');
      return;
    }
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok\n');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
  });
}

module.exports = { createServer, version };

if (require.main === module) {
  const port = Number(process.env.PORT || 8080);
  const server = createServer();
  server.listen(port, () => console.error(`node-app ${version()} listening on :${port}`));
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
      console.error(`${sig}: shutting down`);
      server.close(() => process.exit(0));
    });
  }
}
