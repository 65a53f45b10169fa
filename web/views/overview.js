// Overview: node, version, uptime, totals, and live charts of message rates and queued messages.
// Samples are kept in this module (client-side) so returning to the page shows the last minutes.
import { api, duration, h, liveChart, num } from '../lib.js';

const MAX_SAMPLES = 120; // 10 minutes at one sample per 5 s
const history = { t: [], rates: [[], [], [], []], queued: [[], [], []] };

function record(o) {
  const ms = o.message_stats ?? {};
  const qt = o.queue_totals ?? {};
  history.t.push(Date.now() / 1000);
  ['publish', 'deliver_get', 'ack', 'redeliver'].forEach((k, i) => history.rates[i].push(ms[`${k}_details`]?.rate ?? 0));
  ['messages_ready', 'messages_unacknowledged', 'messages'].forEach((k, i) => history.queued[i].push(qt[k] ?? 0));
  if (history.t.length > MAX_SAMPLES) for (const s of [history.t, ...history.rates, ...history.queued]) s.shift();
}

export async function overview(main) {
  const totals = h('div', { class: 'cards', 'data-testid': 'overview-totals' });
  const node = h('p', { class: 'muted' });
  const rates = liveChart('chart-rates', ['publish', 'deliver/get', 'ack', 'redeliver']);
  const queued = liveChart('chart-queued', ['ready', 'unacked', 'total']);
  main.replaceChildren(h('h1', {}, 'Overview'), node, totals, h('h2', {}, 'Message rates (/s)'), rates.el, h('h2', {}, 'Queued messages'), queued.el);

  const refresh = async () => {
    const o = await api('/overview');
    let uptime = '';
    try {
      const n = await api(`/nodes/${encodeURIComponent(o.node)}`);
      uptime = ` · uptime ${duration(n.uptime)}`;
    } catch {
      // only monitoring and administrator users may read /api/nodes
    }
    node.textContent = `Node ${o.node} · Warren ${o.product_version ?? ''} (RabbitMQ ${o.rabbitmq_version} compatible)${uptime}`;
    const ot = o.object_totals ?? {};
    const qt = o.queue_totals ?? {};
    const card = (label, value) => h('div', { class: 'card' }, h('b', {}, num(value ?? 0)), label);
    totals.replaceChildren(
      card('connections', ot.connections), card('channels', ot.channels), card('exchanges', ot.exchanges), card('queues', ot.queues), card('consumers', ot.consumers),
      card('messages ready', qt.messages_ready), card('unacked', qt.messages_unacknowledged), card('messages total', qt.messages),
    );
    record(o);
    const n = history.t.length - 1;
    // replay the stored samples into fresh charts, then append only the newest
    if (rates.data[0].length === 0) {
      for (let i = 0; i <= n; i++) {
        rates.push(history.t[i], history.rates.map((s) => s[i]));
        queued.push(history.t[i], history.queued.map((s) => s[i]));
      }
    } else {
      rates.push(history.t[n], history.rates.map((s) => s[n]));
      queued.push(history.t[n], history.queued.map((s) => s[n]));
    }
  };
  await refresh();
  return refresh;
}
