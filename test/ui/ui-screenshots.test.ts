// Screenshots of the main pages for docs/screenshots/, taken while clients publish and consume so
// the charts, rates and topology show something an operator would see. Rewriting the docs is
// opt-in: run with WARREN_UPDATE_SCREENSHOTS=1 (otherwise this file is skipped).
//   WARREN_UPDATE_SCREENSHOTS=1 node scripts/run-tests.mjs test/ui/ui-screenshots
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { canvasPixels, login, screenshot, startUi, uiSkipReason, type UiFixture } from '../helpers/browser.js';
import { until } from '../integration/mgmt-helpers.js';

const skip = uiSkipReason() ?? (process.env.WARREN_UPDATE_SCREENSHOTS === '1' ? undefined : 'set WARREN_UPDATE_SCREENSHOTS=1 to take the docs screenshots');

/** Waits until the chart in `testId` has redrawn `times` times (one sample per 5 s refresh). */
async function chartRedraws(page: Page, testId: string, times: number): Promise<void> {
  let last = await canvasPixels(page, testId);
  for (let i = 0; i < times; i++) {
    last = await until(async () => {
      const now = await canvasPixels(page, testId);
      return now !== last ? now : undefined;
    }, `redraw ${i + 1} of ${testId}`, 15_000);
  }
}

describe('web UI: docs screenshots', { skip, timeout: 180_000 }, () => {
  let ui: UiFixture;
  let conn: amqp.ChannelModel;
  let publisher: NodeJS.Timeout | undefined;

  before(async () => {
    ui = await startUi();
    // a small shop: orders fan out to billing and shipping, events go to an audit log
    conn = await amqp.connect(ui.broker.url, { clientProperties: { connection_name: 'shop-backend' } });
    const ch = await conn.createChannel();
    await ch.assertExchange('orders', 'topic', { durable: true });
    await ch.assertExchange('events', 'fanout', { durable: true });
    await ch.assertExchange('dead-letters', 'fanout', { durable: true });
    await ch.assertQueue('orders.billing', { durable: true });
    await ch.assertQueue('orders.shipping', { durable: true, arguments: { 'x-message-ttl': 600_000, 'x-dead-letter-exchange': 'dead-letters' } });
    await ch.assertQueue('events.audit', { durable: true, arguments: { 'x-max-length': 100_000 } });
    await ch.assertQueue('dead-letters.inspect', { durable: true });
    await ch.bindQueue('orders.billing', 'orders', 'order.*');
    await ch.bindQueue('orders.shipping', 'orders', 'order.paid');
    await ch.bindQueue('events.audit', 'events', '');
    await ch.bindQueue('dead-letters.inspect', 'dead-letters', '');
    for (let i = 0; i < 6; i++) await ch.assertQueue(`reports.daily-${String(i).padStart(2, '0')}`, { durable: false });
    const workers = await conn.createChannel();
    await workers.prefetch(50);
    await workers.consume('orders.billing', (m) => m && workers.ack(m), { consumerTag: 'billing-worker' });
    await workers.consume('events.audit', (m) => m && workers.ack(m), { consumerTag: 'audit-writer' });
    let n = 0;
    publisher = setInterval(() => {
      n += 1;
      ch.publish('orders', n % 3 === 0 ? 'order.paid' : 'order.created', Buffer.from(JSON.stringify({ order: n })));
      ch.publish('events', '', Buffer.from(`event ${n}`));
    }, 40);
    await ui.api.put('/api/users/ops-alice', { password: 'alice-secret', tags: 'monitoring' });
    await ui.api.put('/api/policies/%2F/orders-limit', { pattern: '^orders\\.', definition: { 'max-length': 50_000 }, 'apply-to': 'queues', priority: 1 });
  });
  after(async () => {
    clearInterval(publisher);
    await conn?.close().catch(() => {});
    await ui?.stop();
  });

  test('the main pages under traffic', async () => {
    const page = await ui.newPage();
    await login(page, ui.base);
    await page.getByTestId('chart-rates').locator('canvas').first().waitFor();
    await chartRedraws(page, 'chart-rates', 4);
    await screenshot(page, 'overview', true);

    await page.getByTestId('nav-queues').click();
    await page.getByTestId('queue-row').filter({ hasText: 'orders.shipping' }).waitFor();
    await screenshot(page, 'queues', true);

    await page.getByTestId('queue-row').filter({ hasText: 'orders.shipping' }).getByRole('link', { name: 'orders.shipping' }).click();
    await page.getByTestId('queue-name').filter({ hasText: 'orders.shipping' }).waitFor();
    await page.getByTestId('chart-queue').locator('canvas').first().waitFor();
    await chartRedraws(page, 'chart-queue', 3);
    await screenshot(page, 'queue', true);

    await page.getByTestId('nav-exchanges').click();
    await page.getByTestId('exchange-row').filter({ hasText: 'orders' }).first().waitFor();
    await screenshot(page, 'exchanges', true);

    await page.getByTestId('nav-connections').click();
    await page.getByTestId('connection-row').first().waitFor();
    await screenshot(page, 'connections', true);

    await page.getByTestId('nav-admin').click();
    await page.getByTestId('user-row').filter({ hasText: 'ops-alice' }).waitFor();
    await screenshot(page, 'admin', true);

    await page.getByTestId('nav-topology').click();
    await page.getByTestId('topology-graph').locator('svg').getByTestId('topology-queue').filter({ hasText: 'orders.shipping' }).waitFor();
    await screenshot(page, 'topology', true);
    assert.deepEqual(ui.pageErrors, [], 'no uncaught errors in the page');
    await page.close();
  });
});
