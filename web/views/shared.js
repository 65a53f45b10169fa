// Pieces shared by the queue and exchange pages: a bindings table with remove buttons, and the
// publish form (POST /api/exchanges/{vhost}/{exchange}/publish).
import { act, confirmAction, enc, h, table } from '../lib.js';

const exName = (n) => (n === '' ? 'amq.default' : n);

export function bindingsTable(vhost, bindings, refresh) {
  if (bindings.length === 0) return h('p', { class: 'muted', 'data-testid': 'bindings-table' }, 'No bindings');
  return table('bindings-table', [
    { title: 'From', col: 'source', cell: (b) => (b.source === '' ? '(default exchange)' : h('a', { href: `#/exchanges/${enc(vhost)}/${enc(b.source)}` }, b.source)) },
    { title: 'To', col: 'destination', cell: (b) => h('a', { href: `#/${b.destination_type === 'queue' ? 'queues' : 'exchanges'}/${enc(vhost)}/${enc(b.destination)}` }, b.destination) },
    { title: 'Routing key', col: 'routing_key', cell: (b) => b.routing_key },
    { title: 'Arguments', col: 'arguments', cell: (b) => (Object.keys(b.arguments ?? {}).length ? JSON.stringify(b.arguments) : '') },
    { title: '', col: 'actions', cell: (b) => (b.source === '' ? '' : h('button', { type: 'button', 'data-testid': 'binding-remove', onclick: async () => {
      if (!(await confirmAction(`Remove the binding from '${b.source}' to '${b.destination}' (key '${b.routing_key}')?`))) return;
      const kind = b.destination_type === 'queue' ? 'q' : 'e';
      if (await act(`/bindings/${enc(vhost)}/e/${enc(b.source)}/${kind}/${enc(b.destination)}/${enc(b.properties_key)}`, { method: 'DELETE' })) await refresh();
    } }, 'Unbind')) },
  ], bindings, 'binding-row');
}

export function publishForm(vhost, exchange, defaultKey, after) {
  const key = h('input', { name: 'routing_key', placeholder: 'routing key', value: defaultKey, 'data-testid': 'publish-routing-key' });
  const persistent = h('input', { type: 'checkbox', 'data-testid': 'publish-persistent' });
  const headers = h('input', { placeholder: 'headers as JSON', 'data-testid': 'publish-headers', size: 30 });
  const payload = h('textarea', { 'data-testid': 'publish-payload', rows: 4, cols: 60, placeholder: 'payload' });
  const status = h('span', { class: 'muted', 'data-testid': 'publish-status' });
  const send = h('button', { type: 'button', 'data-testid': 'publish-submit', onclick: async () => {
    let hdrs = {};
    try {
      hdrs = headers.value.trim() ? JSON.parse(headers.value) : {};
    } catch {
      status.textContent = 'headers are not valid JSON';
      return;
    }
    const properties = { delivery_mode: persistent.checked ? 2 : 1, headers: hdrs };
    const r = await act(`/exchanges/${enc(vhost)}/${enc(exName(exchange))}/publish`, { method: 'POST', body: { properties, routing_key: key.value, payload: payload.value, payload_encoding: 'string' } });
    if (r) {
      status.textContent = r.routed ? 'Message published.' : 'Message published, but not routed.';
      await after?.();
    }
  } }, 'Publish message');
  return h('div', {}, h('div', { class: 'inline' }, key, ' ', h('label', {}, persistent, ' persistent'), ' ', headers), payload, h('div', {}, send, ' ', status));
}
