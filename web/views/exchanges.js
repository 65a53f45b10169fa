// Exchanges: the paged list and the exchange page (bindings in and out, publish, delete).
import { act, api, confirmAction, enc, form, h, num, rate, table, showError } from '../lib.js';
import { bindingsTable, publishForm } from './shared.js';

const label = (n) => (n === '' ? '(AMQP default)' : n);
const state = { page: 1, filter: '', regex: false };

export async function exchangesList(main) {
  const filter = h('input', { 'data-testid': 'exchanges-filter', placeholder: 'Filter by name', value: state.filter, size: 30 });
  const regex = h('label', {}, h('input', { type: 'checkbox', 'data-testid': 'exchanges-filter-regex', checked: state.regex, onchange: (e) => { state.regex = e.target.checked; state.page = 1; refresh().catch(showError); } }), ' regex');
  const info = h('span', { 'data-testid': 'exchanges-page-info' });
  const prev = h('button', { type: 'button', 'data-testid': 'exchanges-page-prev' }, '‹ Prev');
  const next = h('button', { type: 'button', 'data-testid': 'exchanges-page-next' }, 'Next ›');
  const holder = h('div');
  const add = form('add-exchange', [['vhost', 'vhost', 'text', '/'], ['name', 'Exchange name'], ['type', 'type (direct, fanout, topic, headers)', 'text', 'direct'], ['durable', 'durable', 'checkbox', true]], 'Add exchange', async (v) => {
    if (await act(`/exchanges/${enc(v.vhost)}/${enc(v.name)}`, { method: 'PUT', body: { type: v.type, durable: v.durable, auto_delete: false, internal: false, arguments: {} } })) await refresh();
  });
  main.replaceChildren(h('h1', {}, 'Exchanges'), h('div', { class: 'pager' }, filter, regex, prev, info, next), holder, h('h2', {}, 'Add an exchange'), add);
  const refresh = async () => {
    const qs = new URLSearchParams({ page: state.page, page_size: 100, name: state.filter, use_regex: state.regex });
    let r;
    try {
      r = await api(`/exchanges?${qs}`);
    } catch (e) {
      if (state.page === 1) throw e;
      state.page = 1;
      return refresh();
    }
    const pages = Math.max(1, r.page_count);
    info.textContent = `Page ${r.page} of ${pages} · ${num(r.filtered_count)} of ${num(r.total_count)} exchanges`;
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= pages;
    holder.replaceChildren(table('exchanges-table', [
      { title: 'Virtual host', col: 'vhost', cell: (e) => e.vhost },
      { title: 'Name', col: 'name', cell: (e) => h('a', { href: `#/exchanges/${enc(e.vhost)}/${enc(e.name === '' ? 'amq.default' : e.name)}` }, label(e.name)) },
      { title: 'Type', col: 'type', cell: (e) => e.type },
      { title: 'Features', col: 'features', cell: (e) => [e.durable ? 'D ' : '', e.auto_delete ? 'AD ' : '', e.internal ? 'I ' : '', e.policy ?? ''].join('') },
      { title: 'In', col: 'rate-in', num: true, cell: (e) => rate(e.message_stats, 'publish_in') },
      { title: 'Out', col: 'rate-out', num: true, cell: (e) => rate(e.message_stats, 'publish_out') },
    ], r.items, 'exchange-row'));
  };
  let typing;
  filter.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { state.filter = filter.value; state.page = 1; refresh().catch(showError); }, 250); });
  prev.addEventListener('click', () => { state.page = Math.max(1, state.page - 1); refresh().catch(showError); });
  next.addEventListener('click', () => { state.page += 1; refresh().catch(showError); });
  await refresh();
  return refresh;
}

export async function exchangePage(main, [vhost, name]) {
  const path = `/exchanges/${enc(vhost)}/${enc(name)}`;
  const real = name === 'amq.default' ? '' : name;
  const facts = h('p', { class: 'muted' });
  const bindIn = h('div');
  const bindOut = h('div');
  const del = h('button', { type: 'button', class: 'danger', 'data-testid': 'exchange-delete', onclick: async () => {
    if (await confirmAction(`Delete exchange '${name}'?`)) if (await act(path, { method: 'DELETE' })) location.hash = '#/exchanges';
  } }, 'Delete');
  const bind = form('add-binding', [['destination', 'to queue'], ['routing_key', 'routing key']], 'Bind queue', async (v) => {
    if (await act(`/bindings/${enc(vhost)}/e/${enc(real)}/q/${enc(v.destination)}`, { method: 'POST', body: { routing_key: v.routing_key, arguments: {} } })) await refresh();
  });
  main.replaceChildren(
    h('h1', {}, 'Exchange ', h('span', { 'data-testid': 'exchange-name' }, label(real)), h('span', { class: 'muted' }, ` in vhost ${vhost}`)),
    facts, real.startsWith('amq.') || real === '' ? '' : del,
    h('h2', {}, 'Bindings from this exchange'), bindOut, real === '' ? '' : bind,
    h('h2', {}, 'Bindings to this exchange'), bindIn,
    h('h2', {}, 'Publish a message'), publishForm(vhost, real, '', null),
  );
  async function refresh() {
    const e = await api(path);
    facts.textContent = `type ${e.type} · ${e.durable ? 'durable' : 'transient'}${e.auto_delete ? ' · auto-delete' : ''}${e.internal ? ' · internal' : ''}${Object.keys(e.arguments ?? {}).length ? ` · arguments ${JSON.stringify(e.arguments)}` : ''}`;
    if (real === '') {
      bindOut.replaceChildren(h('p', { class: 'muted' }, 'The default exchange routes to every queue by its name.'));
      return;
    }
    const [out, inn] = await Promise.all([api(`${path}/bindings/source`), api(`${path}/bindings/destination`)]);
    bindOut.replaceChildren(bindingsTable(vhost, out, refresh));
    const inTable = bindingsTable(vhost, inn, refresh);
    inTable.setAttribute('data-testid', 'bindings-in-table');
    bindIn.replaceChildren(inTable);
  }
  await refresh();
  return refresh;
}
