// Listing 10,000 queues: RabbitMQ's sorting (sort, sort_reverse), pagination (page, page_size ≤
// 500, name, use_regex) and the pagination object, paged through end to end. Bounded in time, but
// what is asserted is behaviour, not speed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openChannel, connect, closeQuietly } from '../helpers/amqp-helpers.js';
import { type Json, type MgmtBroker, startMgmt } from './mgmt-helpers.js';

const COUNT = 10_000;
/** Declares in flight at once on the one channel. */
const BATCH = 500;

const EXTERNAL = process.env.WARREN_TEST_MGMT_URL !== undefined;

let b: MgmtBroker;
/** q-00000 … q-09999 in vhost "/" */
const names: string[] = [];

before(async () => {
  if (EXTERNAL) return;
  b = await startMgmt();
  const conn = await connect(b.amqpUrl);
  const ch = await openChannel(conn);
  for (let i = 0; i < COUNT; i++) names.push(`page-q-${String(i).padStart(5, '0')}`);
  for (let i = 0; i < COUNT; i += BATCH) {
    await Promise.all(names.slice(i, i + BATCH).map((n) => ch.assertQueue(n, { durable: false })));
  }
  // a few messages so that sorting by a statistic has something to sort
  ch.sendToQueue('page-q-00042', Buffer.from('x'));
  ch.sendToQueue('page-q-00042', Buffer.from('y'));
  ch.sendToQueue('page-q-09000', Buffer.from('z'));
  await ch.checkQueue('page-q-00042');
  await closeQuietly(conn);
});
after(async () => {
  await b?.stop();
});

interface Page {
  filtered_count: number;
  item_count: number;
  items: Json[];
  page: number;
  page_count: number;
  page_size: number;
  total_count: number;
}

describe('10,000 queues', { skip: EXTERNAL }, () => {
  test('paging through all of them in name order', async () => {
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const r = await b.api.get(`/api/queues/%2F?page=${page}&page_size=500`);
      assert.equal(r.status, 200);
      const p = r.body as Page;
      assert.equal(p.total_count, COUNT);
      assert.equal(p.filtered_count, COUNT);
      assert.equal(p.page, page);
      assert.equal(p.page_size, 500);
      assert.equal(p.page_count, COUNT / 500);
      assert.equal(p.item_count, p.items.length);
      for (const q of p.items) seen.push(String(q.name));
      if (page === p.page_count) break;
    }
    assert.deepEqual(seen, names);
    const first = await b.api.get('/api/queues?page=1&page_size=2');
    const items = (first.body as Page).items;
    assert.equal(items[0]?.name, 'page-q-00000');
    assert.ok('messages' in (items[0] as Json) && 'consumers' in (items[0] as Json), 'full queue objects');
  });

  test('sort, sort_reverse and sorting by a statistic', async () => {
    const rev = (await b.api.get('/api/queues/%2F?page=1&page_size=3&sort=name&sort_reverse=true')).body as Page;
    assert.deepEqual(
      rev.items.map((q) => q.name),
      ['page-q-09999', 'page-q-09998', 'page-q-09997'],
    );
    const busiest = (await b.api.get('/api/queues/%2F?page=1&page_size=2&sort=messages&sort_reverse=true')).body as Page;
    assert.deepEqual(
      busiest.items.map((q) => [q.name, q.messages]),
      [
        ['page-q-00042', 2],
        ['page-q-09000', 1],
      ],
    );
  });

  test('name filter, as a substring or a regex', async () => {
    const sub = (await b.api.get('/api/queues/%2F?page=1&page_size=100&name=Q-0999')).body as Page;
    assert.equal(sub.filtered_count, 10);
    assert.equal(sub.total_count, COUNT);
    assert.equal(sub.page_count, 1);
    assert.deepEqual(
      sub.items.map((q) => q.name),
      names.slice(9990),
    );
    const re = (await b.api.get(`/api/queues/%2F?page=1&page_size=100&name=${encodeURIComponent('^page-q-0000[0-4]$')}&use_regex=true`)).body as Page;
    assert.deepEqual(
      re.items.map((q) => q.name),
      names.slice(0, 5),
    );
    const none = (await b.api.get('/api/queues/%2F?page=1&name=no-such-queue')).body as Page;
    assert.deepEqual(none, { filtered_count: 0, item_count: 0, items: [], page: 1, page_count: 0, page_size: 100, total_count: COUNT });
  });

  test('columns cut each item to the fields asked for', async () => {
    const p = (await b.api.get('/api/queues/%2F?page=2&page_size=2&columns=name,messages')).body as Page;
    assert.deepEqual(p.items, [
      { messages: 0, name: 'page-q-00002' },
      { messages: 0, name: 'page-q-00003' },
    ]);
  });

  test('invalid pagination parameters are refused', async () => {
    const big = await b.api.get('/api/queues?page=1&page_size=501');
    assert.equal(big.status, 400);
    assert.deepEqual(big.body, { error: 'invalid_pagination_parameters', reason: 'Invalid pagination parameters: page number 1, page size 501' });
    const zero = await b.api.get('/api/queues?page=0');
    assert.equal(zero.status, 400);
    const nan = await b.api.get('/api/queues?page=x');
    assert.equal(nan.status, 400);
    const beyond = await b.api.get('/api/queues/%2F?page=22&page_size=500');
    assert.equal(beyond.status, 400);
    assert.equal((beyond.body as Json).error, 'page_out_of_range');
  });

  test('without paging, the whole list comes back', async () => {
    const r = await b.api.get('/api/queues/%2F?columns=name');
    const all = r.body as Json[];
    assert.equal(all.length, COUNT);
    assert.equal(all[0]?.name, 'page-q-00000');
  });
});
