// The web UI's static files on the management listener: index.html at `/`, web/ under /ui/, uPlot
// from node_modules under /ui/vendor/, each with its content type; nothing outside those folders.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
let base = '';

before(async () => {
  broker = await startBroker({ managementPort: 'auto' });
  base = `http://127.0.0.1:${broker.warren?.managementPort}`;
});
after(async () => broker.stop());

async function get(path: string, method = 'GET'): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(base + path, { method, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

test('the UI files are served with their content types, without credentials', { skip: process.env.WARREN_TEST_AMQP_URL !== undefined }, async () => {
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(index.type, /^text\/html/);
  assert.ok(index.text.includes('/ui/app.js'), 'index.html loads the app module');
  for (const [path, type] of [
    ['/ui/app.js', /^text\/javascript/],
    ['/ui/lib.js', /^text\/javascript/],
    ['/ui/views/queues.js', /^text\/javascript/],
    ['/ui/app.css', /^text\/css/],
    ['/ui/vendor/uPlot.iife.min.js', /^text\/javascript/],
    ['/ui/vendor/uPlot.min.css', /^text\/css/],
  ] as const) {
    const r = await get(path);
    assert.equal(r.status, 200, `${path} is served`);
    assert.match(r.type, type, `${path} content type`);
    assert.ok(r.text.length > 0, `${path} is not empty`);
  }
  const head = await get('/ui/app.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
});

test('paths outside web/ and the two vendor files are not served', { skip: process.env.WARREN_TEST_AMQP_URL !== undefined }, async () => {
  for (const path of ['/ui/nope.js', '/ui/%2e%2e/package.json', '/ui/..%2f..%2fpackage.json', '/ui/vendor/uPlot.cjs.js', '/ui/vendor/../../package.json']) {
    const r = await get(path);
    assert.equal(r.status, 404, `${path} is 404`);
  }
  // the API still answers as before (401 without credentials)
  const api = await get('/api/overview');
  assert.equal(api.status, 401);
});
