// Queues: the server-side paged, sorted and filtered list (fast with 10,000 queues: only one page
// is ever fetched or drawn) and the queue page with its chart, bindings, consumers and actions.
import { act, api, confirmAction, enc, form, h, liveChart, num, rate, showError, table } from '../lib.js';
import { bindingsTable, publishForm } from './shared.js';

const PAGE_SIZE = 100;
const state = { page: 1, filter: '', regex: false, sort: 'name', reverse: false };

/** The short feature badges RabbitMQ's UI shows: D, AD, Excl, TTL, Exp, DLX, … and the policy. */
export function features(q) {
  const a = q.arguments ?? {};
  const eff = q.effective_policy_definition ?? {};
  const has = (arg, pol) => a[arg] !== undefined || eff[pol] !== undefined;
  const list = [
    q.durable && 'D', q.auto_delete && 'AD', q.exclusive && 'Excl',
    has('x-message-ttl', 'message-ttl') && 'TTL', has('x-expires', 'expires') && 'Exp',
    has('x-dead-letter-exchange', 'dead-letter-exchange') && 'DLX', has('x-dead-letter-routing-key', 'dead-letter-routing-key') && 'DLK',
    (has('x-max-length', 'max-length') || has('x-max-length-bytes', 'max-length-bytes')) && 'Lim',
    a['x-max-priority'] !== undefined && 'Pri', a['x-single-active-consumer'] && 'SAC', a['x-queue-mode'] === 'lazy' && 'Lazy',
  ].filter(Boolean);
  const badges = list.map((f) => h('span', { class: 'feat', title: f }, f));
  if (q.policy) badges.push(h('span', { class: 'feat', title: 'policy' }, q.policy));
  return badges;
}

const queueLink = (q) => h('a', { href: `#/queues/${enc(q.vhost)}/${enc(q.name)}` }, q.name || '(AMQP default)');

export async function queuesList(main) {
  const filter = h('input', { 'data-testid': 'queues-filter', placeholder: 'Filter by name', value: state.filter, size: 30 });
  const regex = h('label', {}, h('input', { type: 'checkbox', 'data-testid': 'queues-filter-regex', checked: state.regex, onchange: (e) => { state.regex = e.target.checked; state.page = 1; refresh().catch(showError); } }), ' regex');
  const info = h('span', { 'data-testid': 'queues-page-info' });
  const prev = h('button', { type: 'button', 'data-testid': 'queues-page-prev' }, '‹ Prev');
  const next = h('button', { type: 'button', 'data-testid': 'queues-page-next' }, 'Next ›');
  const holder = h('div');
  const addForm = form('add-queue', [['vhost', 'vhost', 'text', '/'], ['name', 'Queue name'], ['durable', 'durable', 'checkbox', true], ['arguments', 'arguments as JSON, e.g. {"x-message-ttl":60000}']], 'Add queue', async (v, f) => {
    let args = {};
    try {
      args = v.arguments.trim() ? JSON.parse(v.arguments) : {};
    } catch {
      return showError(new Error('arguments are not valid JSON'));
    }
    if (await act(`/queues/${enc(v.vhost)}/${enc(v.name)}`, { method: 'PUT', body: { durable: v.durable, auto_delete: false, arguments: args } })) {
      f.querySelector('[name=name]').value = '';
      await refresh();
    }
  });
  main.replaceChildren(h('h1', {}, 'Queues'), h('div', { class: 'pager' }, filter, regex, prev, info, next), holder, h('h2', {}, 'Add a queue'), addForm);

  const refresh = async () => {
    const qs = new URLSearchParams({ page: state.page, page_size: PAGE_SIZE, name: state.filter, use_regex: state.regex, sort: state.sort, sort_reverse: state.reverse });
    let r;
    try {
      r = await api(`/queues?${qs}`);
    } catch (e) {
      if (state.page === 1) throw e;
      state.page = 1; // the page no longer exists (queues deleted or a narrower filter)
      return refresh();
    }
    const pages = Math.max(1, r.page_count);
    info.textContent = `Page ${r.page} of ${pages} · ${num(r.filtered_count)} of ${num(r.total_count)} queues`;
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= pages;
    const sortState = { ...state, onSort: (key) => { state.reverse = state.sort === key ? !state.reverse : false; state.sort = key; state.page = 1; refresh().catch(showError); } };
    holder.replaceChildren(table('queues-table', [
      { title: 'Virtual host', col: 'vhost', sort: 'vhost', cell: (q) => q.vhost },
      { title: 'Name', col: 'name', sort: 'name', cell: queueLink },
      { title: 'Type', col: 'type', cell: (q) => q.type ?? 'classic' },
      { title: 'Features', col: 'features', cell: features },
      { title: 'State', col: 'state', sort: 'state', cell: (q) => q.state ?? '' },
      { title: 'Ready', col: 'ready', sort: 'messages_ready', num: true, cell: (q) => num(q.messages_ready) },
      { title: 'Unacked', col: 'unacked', sort: 'messages_unacknowledged', num: true, cell: (q) => num(q.messages_unacknowledged) },
      { title: 'Total', col: 'messages', sort: 'messages', num: true, cell: (q) => num(q.messages) },
      { title: 'Consumers', col: 'consumers', sort: 'consumers', num: true, cell: (q) => num(q.consumers) },
      { title: 'Incoming', col: 'rate-in', num: true, cell: (q) => rate(q.message_stats, 'publish') },
      { title: 'Deliver/get', col: 'rate-out', num: true, cell: (q) => rate(q.message_stats, 'deliver_get') },
      { title: 'Ack', col: 'rate-ack', num: true, cell: (q) => rate(q.message_stats, 'ack') },
    ], r.items, 'queue-row', sortState));
  };
  let typing;
  filter.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.filter = filter.value; state.page = 1; refresh().catch(showError); }, 250);
  });
  prev.addEventListener('click', () => { state.page = Math.max(1, state.page - 1); refresh().catch(showError); });
  next.addEventListener('click', () => { state.page += 1; refresh().catch(showError); });
  await refresh();
  return refresh;
}

export async function queuePage(main, [vhost, name]) {
  const path = `/queues/${enc(vhost)}/${enc(name)}`;
  const total = h('span', { 'data-testid': 'queue-messages' });
  const facts = h('p', { class: 'muted' });
  const chart = liveChart('chart-queue', ['ready', 'unacked', 'total']);
  const rateChart = liveChart('chart-queue-rates', ['publish', 'deliver/get', 'ack']);
  const bindings = h('div');
  const consumers = h('div');
  const results = h('div', { 'data-testid': 'get-results' });

  const purge = h('button', { type: 'button', 'data-testid': 'queue-purge', class: 'danger', onclick: async () => {
    if (await confirmAction(`Purge all messages from queue '${name}'?`)) if (await act(`${path}/contents`, { method: 'DELETE' })) await refresh();
  } }, 'Purge');
  const del = h('button', { type: 'button', 'data-testid': 'queue-delete', class: 'danger', onclick: async () => {
    if (await confirmAction(`Delete queue '${name}' and its messages?`)) if (await act(path, { method: 'DELETE' })) location.hash = '#/queues';
  } }, 'Delete');

  const getCount = h('input', { type: 'number', min: 1, value: 1, 'data-testid': 'get-count', style: 'width:5em' });
  const ackMode = h('select', { 'data-testid': 'get-ackmode' }, h('option', { value: 'ack_requeue_true' }, 'Nack, requeue'), h('option', { value: 'ack_requeue_false' }, 'Ack (remove)'), h('option', { value: 'reject_requeue_true' }, 'Reject, requeue'));
  const getBtn = h('button', { type: 'button', 'data-testid': 'get-submit', onclick: async () => {
    const msgs = await act(`${path}/get`, { method: 'POST', body: { count: Number(getCount.value) || 1, ackmode: ackMode.value, encoding: 'auto', truncate: 50000 } });
    if (!msgs) return;
    results.replaceChildren(msgs.length === 0 ? h('p', { class: 'muted' }, 'Queue is empty') : '', ...msgs.map((m, i) => h('div', {},
      h('b', {}, `Message ${i + 1}`), h('span', { class: 'muted' }, ` routing key ${m.routing_key} · exchange '${m.exchange}' · redelivered ${m.redelivered} · ${m.message_count} left`),
      h('pre', { class: 'msg' }, m.payload_encoding === 'base64' ? `(base64) ${m.payload}` : m.payload),
      Object.keys(m.properties ?? {}).length ? h('pre', { class: 'msg muted' }, JSON.stringify(m.properties)) : null)));
    await refresh();
  } }, 'Get messages');

  const bindForm = form('add-binding', [['source', 'from exchange'], ['routing_key', 'routing key']], 'Bind', async (v) => {
    if (await act(`/bindings/${enc(vhost)}/e/${enc(v.source)}/q/${enc(name)}`, { method: 'POST', body: { routing_key: v.routing_key, arguments: {} } })) await refresh();
  });

  main.replaceChildren(
    h('h1', {}, 'Queue ', h('span', { 'data-testid': 'queue-name' }, name), h('span', { class: 'muted' }, ` in vhost ${vhost}`)),
    facts, h('p', {}, 'Messages: ', total, ' ', purge, ' ', del),
    h('h2', {}, 'Queued messages'), chart.el, h('h2', {}, 'Message rates (/s)'), rateChart.el,
    h('h2', {}, 'Consumers'), consumers,
    h('h2', {}, 'Bindings'), bindings, bindForm,
    h('h2', {}, 'Publish a message'), publishForm(vhost, '', name, () => refresh()),
    h('h2', {}, 'Get messages'), h('div', { class: 'inline' }, getCount, ' ', ackMode, ' ', getBtn), results,
  );

  async function refresh() {
    const q = await api(`${path}?lengths_age=60&lengths_incr=5`);
    total.textContent = String(q.messages ?? 0);
    facts.replaceChildren(`type ${q.type ?? 'classic'} · state ${q.state ?? ''} · `, ...features(q), q.arguments && Object.keys(q.arguments).length ? ` arguments ${JSON.stringify(q.arguments)}` : '', q.policy ? ` · policy ${q.policy}` : '');
    chart.push(Date.now() / 1000, [q.messages_ready, q.messages_unacknowledged, q.messages]);
    const ms = q.message_stats ?? {};
    rateChart.push(Date.now() / 1000, ['publish', 'deliver_get', 'ack'].map((k) => ms[`${k}_details`]?.rate ?? 0));
    consumers.replaceChildren((q.consumer_details ?? []).length === 0 ? h('p', { class: 'muted' }, 'No consumers') : table('consumers-table', [
      { title: 'Tag', col: 'tag', cell: (c) => c.consumer_tag },
      { title: 'Channel', col: 'channel', cell: (c) => c.channel_details?.name ?? '' },
      { title: 'Ack required', col: 'ack', cell: (c) => String(c.ack_required) },
      { title: 'Prefetch', col: 'prefetch', num: true, cell: (c) => num(c.prefetch_count) },
      { title: 'Active', col: 'active', cell: (c) => String(c.active ?? true) },
    ], q.consumer_details, 'consumer-row'));
    const b = await api(`${path}/bindings`);
    bindings.replaceChildren(bindingsTable(vhost, b, refresh));
  }
  await refresh();
  return refresh;
}
