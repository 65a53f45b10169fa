// The admin page in headless Chromium: add a user through the form, see it in the users table,
// log in as that user, and delete it behind the confirmation dialog; a user without a management
// tag cannot log in to the UI; a vhost, a permission and a policy made through the forms;
// definitions exported as a download and imported from a file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { login, screenshot, uiSkipReason, useUi } from '../helpers/browser.js';
import { enc, type Json, until } from '../integration/mgmt-helpers.js';

const skip = uiSkipReason();

describe('web UI: admin', { skip, timeout: 120_000 }, () => {
  const ui = useUi();

  test('add a user, log in as it, delete it', async () => {
    const user = 'ui-admin-user';
    const password = 's3cret-ui';
    const page = await ui.newPage();
    try {
      await login(page, ui.base);
      await page.getByTestId('nav-admin').click();
      await page.getByTestId('users-table').waitFor();
      await page.getByTestId('add-user-name').fill(user);
      await page.getByTestId('add-user-password').fill(password);
      await page.getByTestId('add-user-tags').fill('monitoring');
      await page.getByTestId('add-user-submit').click();
      const row = page.getByTestId('user-row').filter({ hasText: user });
      await row.waitFor();
      assert.match(await row.locator('[data-col="tags"]').innerText(), /monitoring/, 'the row shows the tag');
      const made = await ui.api.get(`/api/users/${enc(user)}`);
      assert.equal(made.status, 200, 'the broker has the user');
      assert.deepEqual((made.body as Json).tags, ['monitoring'], 'with the tag from the form');
      await screenshot(page, 'admin');

      // the new user's password works on the login form (monitoring may use the UI)
      const other = await ui.newPage();
      try {
        await login(other, ui.base, user, password);
        await other.getByTestId('overview-totals').waitFor();
      } finally {
        await other.close();
      }

      // delete, behind the confirmation dialog
      await row.getByTestId('user-delete').click();
      await page.getByTestId('confirm-ok').click();
      await row.waitFor({ state: 'detached' });
      await until(async () => (await ui.api.get(`/api/users/${enc(user)}`)).status === 404, 'the user to be deleted');
    } finally {
      await ui.api.delete(`/api/users/${enc(user)}`);
      await page.close();
    }
  });

  test('a user without a management tag is refused at the login form', async () => {
    const user = 'ui-admin-plain';
    const made = await ui.api.put(`/api/users/${enc(user)}`, { password: 'plain-pass', tags: '' });
    assert.ok(made.status === 201 || made.status === 204, `user made: ${made.status}`);
    const page = await ui.newPage();
    try {
      await page.goto(`${ui.base}/#/login`);
      await page.getByTestId('login-username').fill(user);
      await page.getByTestId('login-password').fill('plain-pass');
      await page.getByTestId('login-submit').click();
      // RabbitMQ answers such a user's GET /api/whoami with 401 "Not management user"
      await page.getByTestId('login-error').filter({ hasText: 'Not management user' }).waitFor();
      assert.equal(await page.getByTestId('nav-overview').isVisible(), false, 'no navigation for a user without a management tag');
    } finally {
      await ui.api.delete(`/api/users/${enc(user)}`);
      await page.close();
    }
  });

  test('a vhost, a permission and a policy through the forms', async () => {
    const vhost = 'ui-admin-vhost';
    const policy = 'ui-admin-ttl';
    const page = await ui.newPage();
    try {
      await login(page, ui.base);
      await page.getByTestId('nav-admin').click();
      await page.getByTestId('add-vhost-name').fill(vhost);
      await page.getByTestId('add-vhost-description').fill('made by the UI test');
      await page.getByTestId('add-vhost-submit').click();
      await page.getByTestId('vhost-row').filter({ hasText: vhost }).waitFor();
      assert.equal((await ui.api.get(`/api/vhosts/${enc(vhost)}`)).status, 200, 'the broker has the vhost');

      await page.getByTestId('set-permission-user').fill('guest');
      await page.getByTestId('set-permission-vhost').fill(vhost);
      await page.getByTestId('set-permission-configure').fill('^ui-');
      await page.getByTestId('set-permission-submit').click();
      await page.getByTestId('permission-row').filter({ hasText: '^ui-' }).waitFor();
      const perm = await ui.api.get(`/api/permissions/${enc(vhost)}/guest`);
      assert.equal((perm.body as Json).configure, '^ui-', 'the permission as typed');
      assert.equal((perm.body as Json).write, '.*', 'the default write pattern');

      await page.getByTestId('add-policy-vhost').fill(vhost);
      await page.getByTestId('add-policy-name').fill(policy);
      await page.getByTestId('add-policy-pattern').fill('^ui-');
      await page.getByTestId('add-policy-definition').fill('{"message-ttl": 60000}');
      await page.getByTestId('add-policy-submit').click();
      const policyRow = page.getByTestId('policy-row').filter({ hasText: policy });
      await policyRow.waitFor();
      const made = await ui.api.get(`/api/policies/${enc(vhost)}/${enc(policy)}`);
      assert.deepEqual((made.body as Json).definition, { 'message-ttl': 60000 }, 'the policy definition');
      assert.equal((made.body as Json)['apply-to'], 'queues', 'the default apply-to');

      // invalid JSON never reaches the broker and is reported in the banner
      await page.getByTestId('add-policy-name').fill('ui-admin-broken');
      await page.getByTestId('add-policy-definition').fill('{not json');
      await page.getByTestId('add-policy-submit').click();
      await page.getByTestId('error-banner').filter({ hasText: /JSON/ }).waitFor();
      assert.equal((await ui.api.get(`/api/policies/${enc(vhost)}/ui-admin-broken`)).status, 404, 'no policy made');

      await policyRow.getByTestId('policy-delete').click();
      await page.getByTestId('confirm-ok').click();
      await policyRow.waitFor({ state: 'detached' });
      assert.equal((await ui.api.get(`/api/policies/${enc(vhost)}/${enc(policy)}`)).status, 404, 'the policy is deleted');

      await page.getByTestId('vhost-row').filter({ hasText: vhost }).getByTestId('vhost-delete').click();
      await page.getByTestId('confirm-ok').click();
      await until(async () => (await ui.api.get(`/api/vhosts/${enc(vhost)}`)).status === 404, 'the vhost to be deleted');
    } finally {
      await ui.api.delete(`/api/vhosts/${enc(vhost)}`);
      await page.close();
    }
  });

  test('export definitions as a download and import them from a file', async () => {
    const exported = 'ui-admin-exported-q';
    const imported = 'ui-admin-imported-q';
    const made = await ui.api.put(`/api/queues/%2F/${enc(exported)}`, { durable: true });
    assert.ok(made.status === 201 || made.status === 204, `queue made: ${made.status}`);
    const page = await ui.newPage();
    try {
      await login(page, ui.base);
      await page.getByTestId('nav-admin').click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('definitions-export').click()]);
      const stream = await download.createReadStream();
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const defs = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { queues: { name: string }[]; users: { name: string }[] };
      assert.ok(defs.queues.some((q) => q.name === exported), 'the export has the queue');
      assert.ok(defs.users.some((u) => u.name === 'guest'), 'the export has the users');

      const file = { name: 'defs.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ queues: [{ name: imported, vhost: '/', durable: true, auto_delete: false, arguments: {} }] })) };
      await page.getByTestId('definitions-file').setInputFiles(file);
      await page.getByTestId('definitions-import').click();
      await page.getByTestId('confirm-ok').click();
      await page.getByTestId('definitions-status').filter({ hasText: /imported/i }).waitFor();
      const q = await ui.api.get(`/api/queues/%2F/${enc(imported)}`);
      assert.equal(q.status, 200, 'the imported queue exists');
      assert.equal((q.body as Json).durable, true, 'as the file describes it');
    } finally {
      await ui.api.delete(`/api/queues/%2F/${enc(exported)}`);
      await ui.api.delete(`/api/queues/%2F/${enc(imported)}`);
      await page.close();
    }
  });
});
