// The web UI end to end in headless Chromium: log in (wrong then right password), declare a queue
// through the UI, publish from an amqplib client and watch the queue's count and chart change,
// publish and get from the queue page, purge and delete (each behind its confirmation dialog),
// API errors in the banner, close a connection, log out. Screenshots go to test-artifacts/ui/.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { canvasPixels, login, screenshot, uiSkipReason, UI_TIMEOUT_MS, useUi } from '../helpers/browser.js';
import { enc, type Json, uniqueName, until } from '../integration/mgmt-helpers.js';
import { withTimeout } from '../helpers/amqp-helpers.js';

const skip = uiSkipReason();

describe('web UI: queue lifecycle', { skip, timeout: 120_000 }, () => {
  const ui = useUi();

  /** The queue's total as the queue page shows it. */
  async function shownCount(page: Page): Promise<number> {
    return Number((await page.getByTestId('queue-messages').innerText()).trim().replace(/[,\s]/g, ''));
  }

  /** Waits until the queue page shows `n` messages (it refreshes every 5 s). */
  async function waitForCount(page: Page, n: number): Promise<void> {
    await page.getByTestId('queue-messages').filter({ hasText: new RegExp(`^\\s*${n}\\s*$`) }).waitFor();
    assert.equal(await shownCount(page), n, 'queue-messages shows the count');
  }

  test('a wrong password shows the login error; the right one shows the overview', async () => {
    const page = await ui.newPage();
    await page.goto(`${ui.base}/`);
    await page.getByTestId('login-username').fill('guest');
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    assert.ok((await page.getByTestId('login-error').innerText()).trim().length > 0, 'login-error has a message');
    await screenshot(page, 'login-error');
    assert.equal(await page.getByTestId('nav-overview').isVisible(), false, 'no navigation before a successful login');

    await page.getByTestId('login-password').fill('guest');
    await page.getByTestId('login-submit').click();
    const totals = page.getByTestId('overview-totals');
    await totals.waitFor();
    const text = (await totals.innerText()).toLowerCase();
    for (const word of ['connections', 'channels', 'queues', 'consumers', 'ready', 'unacked']) {
      assert.ok(text.includes(word), `overview totals mention ${word}: ${text}`);
    }
    await page.getByTestId('chart-rates').locator('canvas').first().waitFor();
    await page.getByTestId('chart-queued').locator('canvas').first().waitFor();
    await screenshot(page, 'overview');
    await page.close();
  });

  test('declare, publish, watch, get, purge, delete and log out', async () => {
    const page = await ui.newPage();
    await login(page, ui.base);
    const name = uniqueName('ui-q');

    // declare a durable queue through the form on the queues list
    await page.getByTestId('nav-queues').click();
    await page.getByTestId('add-queue-name').fill(name);
    await page.getByTestId('add-queue-durable').check();
    await page.getByTestId('add-queue-submit').click();
    const declared = await until(async () => {
      const r = await ui.api.get(`/api/queues/%2F/${enc(name)}`);
      return r.status === 200 ? (r.body as Json) : undefined;
    }, 'the queue declared through the UI');
    assert.equal(declared.durable, true, 'the durable checkbox made a durable queue');
    const row = page.getByTestId('queue-row').filter({ hasText: name });
    await row.waitFor();
    assert.equal((await row.locator('[data-col="name"]').innerText()).trim(), name, 'the row names the queue');
    await screenshot(page, 'queues');

    // the queue page, empty at first
    await row.getByRole('link', { name }).first().click();
    await page.waitForURL((u) => u.hash.startsWith('#/queues/') && u.hash.length > '#/queues/'.length);
    assert.equal((await page.getByTestId('queue-name').innerText()).trim(), name, 'queue-name shows the queue');
    await waitForCount(page, 0);
    await page.getByTestId('chart-queue').locator('canvas').first().waitFor();
    const chartBefore = await canvasPixels(page, 'chart-queue');

    // a client binds and publishes; the page follows without reloading
    const conn = await amqp.connect(ui.broker.url);
    try {
      const ch = await conn.createConfirmChannel();
      const exchange = uniqueName('ui-x');
      await ch.assertExchange(exchange, 'direct', { durable: false, autoDelete: true });
      await ch.bindQueue(name, exchange, 'ui-key');
      for (let i = 0; i < 3; i++) ch.sendToQueue(name, Buffer.from(`client message ${i}`));
      await ch.waitForConfirms();
      await waitForCount(page, 3);
      await until(async () => (await canvasPixels(page, 'chart-queue')) !== chartBefore, 'the queue chart to redraw', UI_TIMEOUT_MS);
      const bindings = page.getByTestId('bindings-table');
      await bindings.filter({ hasText: exchange }).waitFor();
      await screenshot(page, 'queue');

      // publish from the page, then get it back
      await page.getByTestId('publish-payload').fill('hello from the UI');
      await page.getByTestId('publish-submit').click();
      await waitForCount(page, 4);
      await page.getByTestId('get-count').fill('4');
      await page.getByTestId('get-submit').click();
      const results = page.getByTestId('get-results');
      await results.filter({ hasText: 'client message 0' }).waitFor();
      await results.filter({ hasText: 'hello from the UI' }).waitFor();
      // the default get requeues: the broker keeps all four messages
      await until(async () => {
        const q = (await ui.api.get(`/api/queues/%2F/${enc(name)}`)).body as Json;
        return q.messages_unacknowledged === 0 && q.messages === 4;
      }, 'the requeued messages');
      // "Ack (remove)" takes the oldest message off the queue
      await page.getByTestId('get-ackmode').selectOption('ack_requeue_false');
      await page.getByTestId('get-count').fill('1');
      await page.getByTestId('get-submit').click();
      await waitForCount(page, 3);
      await results.filter({ hasText: 'client message 0' }).waitFor();
      // the results now show only the one message taken
      await results.filter({ hasText: 'hello from the UI' }).waitFor({ state: 'detached' });
      const beforePurge = await shownCount(page);
      assert.ok(beforePurge > 0, 'messages to purge');

      // purge: cancel changes nothing, OK empties the queue
      await page.getByTestId('queue-purge').click();
      await page.getByTestId('confirm-cancel').click();
      await page.getByTestId('confirm-ok').waitFor({ state: 'hidden' });
      const stillThere = await ui.api.get(`/api/queues/%2F/${enc(name)}`);
      assert.equal((stillThere.body as Json).messages, beforePurge, 'cancel leaves the messages');
      await page.getByTestId('queue-purge').click();
      await page.getByTestId('confirm-ok').click();
      await waitForCount(page, 0);
      const purged = await ui.api.get(`/api/queues/%2F/${enc(name)}`);
      assert.equal((purged.body as Json).messages, 0, 'the broker purged the queue');
      await ch.close();
    } finally {
      await conn.close().catch(() => {});
    }

    // delete: cancel keeps the queue, OK removes it
    await page.getByTestId('queue-delete').click();
    await page.getByTestId('confirm-cancel').click();
    await page.getByTestId('confirm-ok').waitFor({ state: 'hidden' });
    assert.equal((await ui.api.get(`/api/queues/%2F/${enc(name)}`)).status, 200, 'cancel keeps the queue');
    await page.getByTestId('queue-delete').click();
    await page.getByTestId('confirm-ok').click();
    await until(async () => (await ui.api.get(`/api/queues/%2F/${enc(name)}`)).status === 404, 'the queue to be deleted');

    // log out: back to the form, and a reload does not log back in
    await page.getByTestId('logout').click();
    await page.getByTestId('login-username').waitFor();
    await page.reload();
    await page.getByTestId('login-username').waitFor();
    assert.equal(await page.getByTestId('nav-overview').isVisible(), false, 'logged out after a reload');
    await page.close();
  });

  test('an API error is shown in the error banner', async () => {
    const page = await ui.newPage();
    await login(page, ui.base);
    const name = uniqueName('ui-q-err');
    const made = await ui.api.put(`/api/queues/%2F/${enc(name)}`, { durable: true });
    assert.ok(made.status === 201 || made.status === 204, `queue made by the API: ${made.status}`);
    try {
      // redeclaring with another durability is refused with RabbitMQ's precondition error
      await page.getByTestId('nav-queues').click();
      await page.getByTestId('add-queue-name').fill(name);
      await page.getByTestId('add-queue-durable').uncheck();
      await page.getByTestId('add-queue-submit').click();
      const banner = page.getByTestId('error-banner');
      await banner.filter({ hasText: /inequivalent arg 'durable'/ }).waitFor();
      await screenshot(page, 'error-banner');
    } finally {
      await ui.api.delete(`/api/queues/%2F/${enc(name)}`);
      await page.close();
    }
  });

  test('close a connection from the connections list', async () => {
    const conn = await amqp.connect(ui.broker.url, { clientProperties: { connection_name: 'ui-test-conn' } });
    const closed = new Promise<void>((resolve) => conn.on('close', () => resolve()));
    conn.on('error', () => {}); // the forced close arrives as an error first
    const page = await ui.newPage();
    try {
      await login(page, ui.base);
      await page.getByTestId('nav-connections').click();
      await page.getByTestId('connections-table').waitFor();
      const row = page.getByTestId('connection-row').first();
      await row.waitFor();
      await screenshot(page, 'connections');
      await row.getByTestId('connection-close').click();
      await page.getByTestId('confirm-ok').click();
      await withTimeout(closed, UI_TIMEOUT_MS, 'the client to see its connection closed');
      await until(async () => (await page.getByTestId('connection-row').count()) === 0, 'the row to go', UI_TIMEOUT_MS);
    } finally {
      await conn.close().catch(() => {});
      await page.close();
    }
  });
});
