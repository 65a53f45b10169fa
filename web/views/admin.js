// Admin: users (add, tags, password, delete), vhosts, permissions, policies, definitions
// import/export. Not auto-refreshed: a half-typed form must not be wiped.
import { act, api, confirmAction, enc, form, h, showError, table } from '../lib.js';

const delButton = (testid, what, path, refresh) => h('button', { type: 'button', class: 'danger', 'data-testid': testid, onclick: async () => {
  if (await confirmAction(`Delete ${what}?`)) if (await act(path, { method: 'DELETE' })) await refresh();
} }, 'Delete');

export async function admin(main) {
  const users = h('div'), vhosts = h('div'), perms = h('div'), policies = h('div');
  const importStatus = h('span', { class: 'muted', 'data-testid': 'definitions-status' });
  const file = h('input', { type: 'file', accept: '.json,application/json', 'data-testid': 'definitions-file' });
  const upload = h('button', { type: 'button', 'data-testid': 'definitions-import', onclick: async () => {
    const f = file.files?.[0];
    if (!f) return void (importStatus.textContent = 'choose a definitions file first');
    let defs;
    try {
      defs = JSON.parse(await f.text());
    } catch {
      return void (importStatus.textContent = 'the file is not JSON');
    }
    if (!(await confirmAction(`Import definitions from ${f.name}? Existing objects with the same names are overwritten.`))) return;
    if (await act('/definitions', { method: 'POST', body: defs })) {
      importStatus.textContent = 'Definitions imported.';
      await refresh();
    }
  } }, 'Import');
  const download = h('button', { type: 'button', 'data-testid': 'definitions-export', onclick: async () => {
    const defs = await act('/definitions');
    if (!defs) return;
    const a = h('a', { href: URL.createObjectURL(new Blob([JSON.stringify(defs, null, 2)], { type: 'application/json' })), download: `warren-definitions-${new Date().toISOString().slice(0, 10)}.json` });
    a.click();
    URL.revokeObjectURL(a.href);
  } }, 'Export definitions');

  main.replaceChildren(
    h('h1', {}, 'Admin'),
    h('h2', {}, 'Users'), users,
    form('add-user', [['name', 'username'], ['password', 'password (empty: keep)', 'password'], ['tags', 'tags, e.g. administrator']], 'Add / update user', async (v) => {
      // an empty password changes only the tags: the stored hash is sent back unchanged
      let body = { password: v.password, tags: v.tags };
      if (v.password === '') {
        const existing = await api(`/users/${enc(v.name)}`).catch(() => null);
        if (existing) body = { password_hash: existing.password_hash, hashing_algorithm: existing.hashing_algorithm, tags: v.tags };
      }
      if (await act(`/users/${enc(v.name)}`, { method: 'PUT', body })) await refresh();
    }),
    h('h2', {}, 'Virtual hosts'), vhosts,
    form('add-vhost', [['name', 'vhost name'], ['description', 'description']], 'Add vhost', async (v) => {
      if (await act(`/vhosts/${enc(v.name)}`, { method: 'PUT', body: { description: v.description } })) await refresh();
    }),
    h('h2', {}, 'Permissions'), perms,
    form('set-permission', [['user', 'user'], ['vhost', 'vhost', 'text', '/'], ['configure', 'configure', 'text', '.*'], ['write', 'write', 'text', '.*'], ['read', 'read', 'text', '.*']], 'Set permission', async (v) => {
      if (await act(`/permissions/${enc(v.vhost)}/${enc(v.user)}`, { method: 'PUT', body: { configure: v.configure, write: v.write, read: v.read } })) await refresh();
    }),
    h('h2', {}, 'Policies'), policies,
    form('add-policy', [['vhost', 'vhost', 'text', '/'], ['name', 'name'], ['pattern', 'pattern (regex)'], ['apply_to', 'apply to: queues, exchanges, all', 'text', 'queues'], ['priority', 'priority', 'number', '0'], ['definition', 'definition JSON, e.g. {"max-length":1000}']], 'Add / update policy', async (v) => {
      let definition;
      try {
        definition = JSON.parse(v.definition);
      } catch {
        return showError(new Error('the policy definition is not valid JSON'));
      }
      if (await act(`/policies/${enc(v.vhost)}/${enc(v.name)}`, { method: 'PUT', body: { pattern: v.pattern, definition, 'apply-to': v.apply_to, priority: Number(v.priority) || 0 } })) await refresh();
    }),
    h('h2', {}, 'Definitions'), h('div', { class: 'inline' }, download, ' ', file, ' ', upload, ' ', importStatus),
  );

  async function refresh() {
    const [u, v, p, pol] = await Promise.all([api('/users'), api('/vhosts'), api('/permissions'), api('/policies')]);
    users.replaceChildren(table('users-table', [
      { title: 'Name', col: 'name', cell: (x) => h('a', { href: '#/admin', title: 'edit tags or password', onclick: (ev) => {
        ev.preventDefault();
        document.querySelector('[data-testid=add-user-name]').value = x.name;
        document.querySelector('[data-testid=add-user-tags]').value = Array.isArray(x.tags) ? x.tags.join(',') : x.tags;
        document.querySelector('[data-testid=add-user-password]').focus();
      } }, x.name) },
      { title: 'Tags', col: 'tags', cell: (x) => (Array.isArray(x.tags) ? x.tags.join(', ') : x.tags) },
      { title: '', col: 'actions', cell: (x) => delButton('user-delete', `user '${x.name}'`, `/users/${enc(x.name)}`, refresh) },
    ], u, 'user-row'));
    vhosts.replaceChildren(table('vhosts-table', [
      { title: 'Name', col: 'name', cell: (x) => x.name },
      { title: 'Description', col: 'description', cell: (x) => x.description ?? '' },
      { title: 'Messages', col: 'messages', num: true, cell: (x) => x.messages ?? '' },
      { title: '', col: 'actions', cell: (x) => delButton('vhost-delete', `vhost '${x.name}' and everything in it`, `/vhosts/${enc(x.name)}`, refresh) },
    ], v, 'vhost-row'));
    perms.replaceChildren(table('permissions-table', [
      { title: 'User', col: 'user', cell: (x) => x.user },
      { title: 'Virtual host', col: 'vhost', cell: (x) => x.vhost },
      { title: 'Configure', col: 'configure', cell: (x) => x.configure },
      { title: 'Write', col: 'write', cell: (x) => x.write },
      { title: 'Read', col: 'read', cell: (x) => x.read },
      { title: '', col: 'actions', cell: (x) => delButton('permission-delete', `the permissions of '${x.user}' on '${x.vhost}'`, `/permissions/${enc(x.vhost)}/${enc(x.user)}`, refresh) },
    ], p, 'permission-row'));
    policies.replaceChildren(pol.length === 0 ? h('p', { class: 'muted' }, 'No policies') : table('policies-table', [
      { title: 'Virtual host', col: 'vhost', cell: (x) => x.vhost },
      { title: 'Name', col: 'name', cell: (x) => x.name },
      { title: 'Pattern', col: 'pattern', cell: (x) => x.pattern },
      { title: 'Apply to', col: 'apply_to', cell: (x) => x['apply-to'] },
      { title: 'Priority', col: 'priority', num: true, cell: (x) => x.priority },
      { title: 'Definition', col: 'definition', cell: (x) => JSON.stringify(x.definition) },
      { title: '', col: 'actions', cell: (x) => delButton('policy-delete', `policy '${x.name}'`, `/policies/${enc(x.vhost)}/${enc(x.name)}`, refresh) },
    ], pol, 'policy-row'));
  }
  await refresh();
}
