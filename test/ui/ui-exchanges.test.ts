// Exchanges and channels in headless Chromium: the exchanges list links to an exchange page that
// shows its bindings, publishes a routed message, removes a binding and deletes the exchange (both
// behind the confirmation dialog); the channels list shows a client's channel.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { login, screenshot, uiSkipReason, useUi } from '../helpers/browser.js';
import { enc, type Json, uniqueName, until } from '../integration/mgmt-helpers.js';

const skip = uiSkipReason();

describe('web UI: exchanges and channels', { skip, timeout: 120_000 }, () => {
  const ui = useUi();

  test('exchange page: bindings, publish, unbind and delete', async () => {
    const exchange = uniqueName('ui-ex');
    const queue = uniqueName('ui-ex-q');
    const conn = await amqp.connect(ui.broker.url);
    const page = await ui.newPage();
    try {
      const ch = await conn.createChannel();
      await ch.assertExchange(exchange, 'direct', { durable: false });
      await ch.assertQueue(queue, { durable: false });
      await ch.bindQueue(queue, exchange, 'ui-route');
      await ch.close();

      await login(page, ui.base);
      await page.getByTestId('nav-exchanges').click();
      const row = page.getByTestId('exchange-row').filter({ hasText: exchange });
      await row.waitFor();
      await screenshot(page, 'exchanges');
      await row.getByRole('link', { name: exchange }).click();
      await page.getByTestId('exchange-name').filter({ hasText: exchange }).waitFor();
      const binding = page.getByTestId('binding-row').filter({ hasText: queue });
      await binding.waitFor();
      await screenshot(page, 'exchange');

      // a message published from the page is routed by its key to the bound queue
      await page.getByTestId('publish-routing-key').fill('ui-route');
      await page.getByTestId('publish-payload').fill('routed by the UI');
      await page.getByTestId('publish-submit').click();
      await until(async () => ((await ui.api.get(`/api/queues/%2F/${enc(queue)}`)).body as Json).messages === 1, 'the routed message');

      // unbind: cancel keeps the binding, OK removes it
      await binding.getByTestId('binding-remove').click();
      await page.getByTestId('confirm-cancel').click();
      const kept = await ui.api.get(`/api/exchanges/%2F/${enc(exchange)}/bindings/source`);
      assert.equal((kept.body as Json[]).length, 1, 'cancel keeps the binding');
      await binding.getByTestId('binding-remove').click();
      await page.getByTestId('confirm-ok').click();
      await binding.waitFor({ state: 'detached' });
      const gone = await ui.api.get(`/api/exchanges/%2F/${enc(exchange)}/bindings/source`);
      assert.deepEqual(gone.body, [], 'the binding is removed');

      await page.getByTestId('exchange-delete').click();
      await page.getByTestId('confirm-ok').click();
      await until(async () => (await ui.api.get(`/api/exchanges/%2F/${enc(exchange)}`)).status === 404, 'the exchange to be deleted');
    } finally {
      await ui.api.delete(`/api/queues/%2F/${enc(queue)}`);
      await conn.close().catch(() => {});
      await page.close();
    }
  });

  test('the channels list shows a client channel', async () => {
    const conn = await amqp.connect(ui.broker.url);
    const page = await ui.newPage();
    try {
      await conn.createChannel();
      await login(page, ui.base);
      await page.getByTestId('nav-channels').click();
      const table = page.getByTestId('channels-table');
      // the list refreshes every 5 s; the channel may show on the first load or the next
      await table.locator('tr', { hasText: 'guest' }).first().waitFor();
      await screenshot(page, 'channels');
    } finally {
      await conn.close().catch(() => {});
      await page.close();
    }
  });
});
