// The queues list with many queues: the UI shows one page at a time (server-side paging), moves
// between pages, filters by name and sorts by a column on the server. 300 queues are declared with
// amqplib.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { login, screenshot, startUi, uiSkipReason, type UiFixture } from '../helpers/browser.js';
import { uniqueName, until } from '../integration/mgmt-helpers.js';

const skip = uiSkipReason();
const QUEUE_COUNT = 300;

describe('web UI: queues list paging and filter', { skip, timeout: 120_000 }, () => {
  let ui: UiFixture;
  const prefix = uniqueName('ui-page');
  /** zero-padded so that "prefix-12" matches exactly ten queues: -120 … -129 */
  const names = Array.from({ length: QUEUE_COUNT }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

  before(async () => {
    ui = await startUi();
    const conn = await amqp.connect(ui.broker.url);
    try {
      const ch = await conn.createChannel();
      for (const name of names) await ch.assertQueue(name, { durable: false });
      await ch.close();
    } finally {
      await conn.close();
    }
  });
  after(async () => {
    await ui?.stop();
  });

  afterEach(() => {
    assert.deepEqual(ui.pageErrors.splice(0), [], 'no uncaught errors in the page');
  });

  /** The queue names of the rows on the page, once the table shows at least one row. */
  async function rowNames(page: Page): Promise<string[]> {
    await page.getByTestId('queue-row').first().waitFor();
    const cells = await page.getByTestId('queue-row').locator('[data-col="name"]').allInnerTexts();
    return cells.map((c) => c.trim());
  }

  /** Waits until the rows differ from `previous` (the list reloads asynchronously). */
  async function rowsChangedFrom(page: Page, previous: string[], what: string): Promise<string[]> {
    return until(async () => {
      const now = await rowNames(page);
      return now.join('\n') !== previous.join('\n') ? now : undefined;
    }, what, 20_000);
  }

  test('pages through 300 queues and back', async () => {
    const page = await ui.newPage();
    await login(page, ui.base);
    await page.getByTestId('nav-queues').click();
    const first = await rowNames(page);
    assert.ok(first.length > 0 && first.length < QUEUE_COUNT, `one page, not all ${QUEUE_COUNT} queues: ${first.length} rows`);
    for (const n of first) assert.ok(names.includes(n), `a declared queue: ${n}`);
    const info = page.getByTestId('queues-page-info');
    const firstInfo = (await info.innerText()).trim();
    assert.ok(firstInfo.length > 0, 'page info is shown');
    await screenshot(page, 'queues-paged');

    await page.getByTestId('queues-page-next').click();
    const second = await rowsChangedFrom(page, first, 'the next page');
    for (const n of second) assert.ok(!first.includes(n), `page 2 does not repeat page 1: ${n}`);
    await until(async () => (await info.innerText()).trim() !== firstInfo, 'the page info to change');

    await page.getByTestId('queues-page-prev').click();
    const back = await rowsChangedFrom(page, second, 'the previous page');
    assert.deepEqual(back, first, 'previous returns to the first page');
    await page.close();
  });

  test('sorting by the total count puts the fullest queues first', async () => {
    // three queues spread over the pages by name get 3, 2 and 1 messages
    const fullest = [names[250], names[5], names[120]];
    const conn = await amqp.connect(ui.broker.url);
    try {
      const ch = await conn.createConfirmChannel();
      fullest.forEach((name, i) => {
        for (let k = 0; k < fullest.length - i; k++) ch.sendToQueue(name, Buffer.from('sort me'));
      });
      await ch.waitForConfirms();
      await ch.close();
    } finally {
      await conn.close();
    }
    const page = await ui.newPage();
    await login(page, ui.base);
    await page.getByTestId('nav-queues').click();
    const first = await rowNames(page);
    // the first click sorts ascending, the second descending
    const header = page.getByTestId('queues-table').locator('th[data-sort="messages"]');
    await header.click();
    const ascending = await rowsChangedFrom(page, first, 'the ascending sort');
    await header.click();
    const descending = await rowsChangedFrom(page, ascending, 'the descending sort');
    assert.deepEqual(descending.slice(0, 3), fullest, 'the fullest queues first, in order');
    const counts = await page.getByTestId('queue-row').locator('[data-col="messages"]').allInnerTexts();
    assert.deepEqual(counts.slice(0, 4).map((c) => c.trim()), ['3', '2', '1', '0'], 'the totals as shown');
    await page.close();
  });

  test('the filter narrows the list on the server', async () => {
    const page = await ui.newPage();
    await login(page, ui.base);
    await page.getByTestId('nav-queues').click();
    const first = await rowNames(page);
    const filter = `${prefix}-12`;
    const expected = names.filter((n) => n.includes(filter));
    assert.equal(expected.length, 10, 'ten queues match the filter');
    // as a user types it; the UI may search on input or on Enter
    await page.getByTestId('queues-filter').fill(filter);
    await page.getByTestId('queues-filter').press('Enter');
    const filtered = await rowsChangedFrom(page, first, 'the filtered list');
    assert.deepEqual([...filtered].sort(), expected, 'exactly the matching queues');
    await screenshot(page, 'queues-filtered');

    // a single queue from the last page is found by its full name
    const last = names[QUEUE_COUNT - 1];
    await page.getByTestId('queues-filter').fill(last);
    await page.getByTestId('queues-filter').press('Enter');
    const one = await rowsChangedFrom(page, filtered, 'the single match');
    assert.deepEqual(one, [last], 'only the named queue');
    await page.close();
  });
});
