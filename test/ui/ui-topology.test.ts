// The topology page in headless Chromium: an SVG graph of exchanges → queues → consumers for a
// vhost, with the objects a client declared, binds and consumes from.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { login, screenshot, uiSkipReason, useUi } from '../helpers/browser.js';

const skip = uiSkipReason();

describe('web UI: topology', { skip, timeout: 120_000 }, () => {
  const ui = useUi();

  test('renders an SVG with the exchange, the queue and its consumer', async () => {
    // short names: the graph shortens long labels (each node keeps its full name in a <title>)
    const exchange = 'ui-topo-orders';
    const queue = 'ui-topo-billing';
    const conn = await amqp.connect(ui.broker.url);
    const page = await ui.newPage();
    try {
      const ch = await conn.createChannel();
      await ch.assertExchange(exchange, 'topic', { durable: false });
      await ch.assertQueue(queue, { durable: false });
      await ch.bindQueue(queue, exchange, 'order.*');
      await ch.consume(queue, () => {}, { noAck: true, consumerTag: 'ui-topo-consumer' });

      await login(page, ui.base);
      await page.getByTestId('nav-topology').click();
      const svg = page.getByTestId('topology-graph').locator('svg');
      await svg.waitFor();
      const queueNode = svg.getByTestId('topology-queue').filter({ hasText: queue });
      await queueNode.waitFor();
      await svg.getByTestId('topology-exchange').filter({ hasText: exchange }).waitFor();
      assert.ok((await svg.getByTestId('topology-consumer').count()) >= 1, 'the consumer is drawn');
      const text = await svg.textContent();
      assert.ok(text?.includes('order.*'), `the binding key labels the edge: ${text}`);
      await screenshot(page, 'topology');

      // the queue node links to the queue page
      await queueNode.click();
      await page.getByTestId('queue-name').filter({ hasText: queue }).waitFor();
      await ch.close();
    } finally {
      await conn.close().catch(() => {});
      await page.close();
    }
  });
});
