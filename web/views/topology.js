// Topology: exchanges → bindings → queues → consumers of one vhost as an SVG graph in three
// columns, with message rates on the edges. Queues are paged (50 per page) and filterable, and only
// the exchanges bound to the shown queues are drawn, so the graph stays readable. The API has no
// per-binding rates: an exchange → queue edge carries the queue's incoming rate, a queue → consumer
// edge the queue's deliver/get rate shared by its consumers.
import { api, enc, h, showError } from '../lib.js';

const SVG = 'http://www.w3.org/2000/svg';
const PAGE = 50;
const ROW = 40; // vertical distance between nodes
const NODE_W = 200, NODE_H = 26;
const COLS = [10, 400, 790]; // x of exchanges, queues, consumers
const state = { vhost: '/', filter: '', regex: false, page: 1 };

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}
const short = (t, n = 28) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);
const rateText = (r) => (r === undefined ? '' : `${r.toFixed(1)}/s`);

function node(kind, x, y, label, title, href) {
  const g = s('g', { class: `node ${kind}`, transform: `translate(${x},${y})`, 'data-testid': `topology-${kind}` },
    s('rect', { width: NODE_W, height: NODE_H, rx: 5 }), s('text', { x: 8, y: 17 }, short(label)), s('title', {}, title));
  if (!href) return g;
  const a = s('a', { href });
  a.append(g);
  return a;
}

function edge(x1, y1, x2, y2, label) {
  const mx = (x1 + x2) / 2;
  const g = s('g', { class: 'edge' }, s('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, 'marker-end': 'url(#arrow)' }));
  // labels sit just before the arrow head, on the destination's row, so they never pile up
  if (label) g.append(s('text', { class: 'rate', x: x2 - 8, y: y2 - 4, 'text-anchor': 'end' }, label));
  return g;
}

export async function topology(main) {
  const vhostSel = h('select', { 'data-testid': 'topology-vhost' });
  const filter = h('input', { placeholder: 'Filter queues by name', value: state.filter, 'data-testid': 'topology-filter' });
  const regex = h('label', {}, h('input', { type: 'checkbox', 'data-testid': 'topology-filter-regex', checked: state.regex, onchange: (e) => { state.regex = e.target.checked; state.page = 1; refresh().catch(showError); } }), ' regex');
  const info = h('span', { class: 'muted', 'data-testid': 'topology-page-info' });
  const prev = h('button', { type: 'button', 'data-testid': 'topology-page-prev' }, '‹ Prev');
  const next = h('button', { type: 'button', 'data-testid': 'topology-page-next' }, 'Next ›');
  const holder = h('div', { 'data-testid': 'topology-graph' });
  main.replaceChildren(h('h1', {}, 'Topology'), h('div', { class: 'pager' }, 'Virtual host ', vhostSel, filter, regex, prev, info, next), holder,
    h('p', { class: 'muted' }, 'Exchanges → queues (edges: routing key and the queue’s incoming rate) → consumers (edges: the queue’s deliver rate). The default exchange is left out.'));

  const vhosts = await api('/vhosts');
  if (!vhosts.some((v) => v.name === state.vhost) && vhosts.length) state.vhost = vhosts[0].name;
  vhostSel.replaceChildren(...vhosts.map((v) => h('option', { value: v.name, selected: v.name === state.vhost }, v.name)));
  vhostSel.value = state.vhost;

  const refresh = async () => {
    const v = enc(state.vhost);
    const qs = new URLSearchParams({ page: state.page, page_size: PAGE, name: state.filter, use_regex: state.regex, sort: 'name' });
    let queues;
    try {
      queues = await api(`/queues/${v}?${qs}`);
    } catch (e) {
      if (state.page === 1) throw e;
      state.page = 1;
      return refresh();
    }
    const [exchanges, bindings, consumers] = await Promise.all([api(`/exchanges/${v}`), api(`/bindings/${v}`), api(`/consumers/${v}`)]);
    const pages = Math.max(1, queues.page_count);
    info.textContent = `queues ${queues.filtered_count === 0 ? 0 : (state.page - 1) * PAGE + 1}–${(state.page - 1) * PAGE + queues.item_count} of ${queues.filtered_count}`;
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= pages;
    holder.replaceChildren(draw(queues.items, exchanges, bindings.filter((b) => b.source !== ''), consumers));
  };

  function draw(queues, exchanges, bindings, consumers) {
    const qIndex = new Map(queues.map((q, i) => [q.name, i]));
    const exByName = new Map(exchanges.map((e) => [e.name, e]));
    // exchanges feeding the shown queues, plus the exchanges bound into those (exchange-to-exchange)
    const shown = new Set(bindings.filter((b) => b.destination_type === 'queue' && qIndex.has(b.destination)).map((b) => b.source));
    for (const b of bindings) if (b.destination_type === 'exchange' && shown.has(b.destination)) shown.add(b.source);
    // order exchanges by the mean row of their queues so that edges cross less
    const rowOf = (name) => {
      const rows = bindings.filter((b) => b.source === name && qIndex.has(b.destination)).map((b) => qIndex.get(b.destination));
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : -1;
    };
    const exList = [...shown].sort((a, b) => rowOf(a) - rowOf(b));
    // each exchange level with the middle of its queues, pushed down when it would overlap the one above
    const exY = new Map();
    let lastY = 20 - ROW;
    for (const n of exList) {
      lastY = Math.max(lastY + ROW, 20 + Math.max(0, rowOf(n)) * ROW);
      exY.set(n, lastY);
    }
    const qY = new Map(queues.map((q, i) => [q.name, 20 + i * ROW]));
    // consumers per queue; more than three collapse into one "N consumers" node
    const byQueue = new Map();
    for (const c of consumers) if (qIndex.has(c.queue?.name)) (byQueue.get(c.queue.name) ?? byQueue.set(c.queue.name, []).get(c.queue.name)).push(c);
    const cNodes = [];
    for (const q of queues) {
      const list = byQueue.get(q.name) ?? [];
      if (list.length > 3) cNodes.push({ queue: q, label: `${list.length} consumers`, title: list.map((c) => c.consumer_tag).join('\n') });
      else for (const c of list) cNodes.push({ queue: q, label: c.consumer_tag, title: `${c.consumer_tag} on ${c.channel_details?.name ?? ''}` });
    }
    const rows = Math.max(queues.length, cNodes.length, 1);
    const height = Math.max(30 + rows * ROW, lastY + ROW + 10);
    const svg = s('svg', { class: 'topology', width: COLS[2] + NODE_W + 10, height, role: 'img' },
      s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#9aa5b1' }))));
    const mid = NODE_H / 2;
    for (const b of bindings) {
      const y1 = exY.get(b.source);
      if (y1 === undefined) continue;
      if (b.destination_type === 'queue' && qY.has(b.destination)) {
        const q = queues[qIndex.get(b.destination)];
        const label = [b.routing_key ? `'${short(b.routing_key, 16)}'` : '', rateText(q.message_stats?.publish_details?.rate)].filter(Boolean).join(' ');
        svg.append(edge(COLS[0] + NODE_W, y1 + mid, COLS[1], qY.get(b.destination) + mid, label));
      } else if (b.destination_type === 'exchange' && exY.has(b.destination)) {
        // exchange-to-exchange: a loop on the left of the exchange column
        const y2 = exY.get(b.destination) + mid;
        svg.append(s('path', { d: `M${COLS[0]},${y1 + mid} C${COLS[0] - 40},${y1 + mid} ${COLS[0] - 40},${y2} ${COLS[0]},${y2}`, 'marker-end': 'url(#arrow)' }));
      }
    }
    cNodes.forEach((c, i) => {
      const y = 20 + i * ROW;
      const r = c.queue.message_stats?.deliver_get_details?.rate;
      svg.append(edge(COLS[1] + NODE_W, qY.get(c.queue.name) + mid, COLS[2], y + mid, rateText(r)));
      svg.append(node('consumer', COLS[2], y, c.label, c.title));
    });
    for (const n of exList) {
      const e = exByName.get(n);
      svg.append(node('exchange', COLS[0], exY.get(n), `${n} (${e?.type ?? '?'})`, `exchange ${n}: in ${rateText(e?.message_stats?.publish_in_details?.rate) || '0/s'}`, `#/exchanges/${enc(state.vhost)}/${enc(n)}`));
    }
    for (const q of queues) {
      svg.append(node('queue', COLS[1], qY.get(q.name), `${q.name} [${q.messages ?? 0}]`, `queue ${q.name}: ${q.messages ?? 0} messages`, `#/queues/${enc(state.vhost)}/${enc(q.name)}`));
    }
    return svg;
  }

  vhostSel.addEventListener('change', () => { state.vhost = vhostSel.value; state.page = 1; refresh().catch(showError); });
  let typing;
  filter.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { state.filter = filter.value; state.page = 1; refresh().catch(showError); }, 250); });
  prev.addEventListener('click', () => { state.page = Math.max(1, state.page - 1); refresh().catch(showError); });
  next.addEventListener('click', () => { state.page += 1; refresh().catch(showError); });
  await refresh();
  return refresh;
}
