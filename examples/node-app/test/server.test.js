'use strict';
const test = require('node:test');
const assert = require('node:assert');
const semver = require('semver');
const { createServer, version } = require('../server.js');

// listen starts a server on a free port and returns its base URL and a close function.
async function listen(opts) {
  const server = createServer(opts);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('GET / greets with version and uptime', async () => {
  const started = 1_000_000;
  const { base, close } = await listen({ started, now: () => started + 90_000 });
  try {
    const res = await fetch(`${base}/`);
    assert.strictEqual(res.status, 200);
    assert.strictEqual(res.headers.get('content-type'), 'application/json');
    const body = await res.json();
    assert.deepStrictEqual(body, { message: 'Hello, world!', version: version(), uptime: '2m' });
  } finally {
    await close();
  }
});

test('GET /healthz answers ok', async () => {
  const { base, close } = await listen();
  try {
    const res = await fetch(`${base}/healthz`);
    assert.strictEqual(res.status, 200);
    assert.strictEqual(await res.text(), 'ok\n');
  } finally {
    await close();
  }
});

test('unknown paths and methods are refused', async () => {
  const { base, close } = await listen();
  try {
    assert.strictEqual((await fetch(`${base}/nope`)).status, 404);
    assert.strictEqual((await fetch(`${base}/`, { method: 'POST', body: 'hi' })).status, 405);
  } finally {
    await close();
  }
});

test('the version is semver', () => {
  assert.ok(semver.valid(version()), `version ${version()} is not semver`);
});
