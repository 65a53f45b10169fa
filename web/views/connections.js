// Connections (close one, with a reason) and channels: peer, user, vhost, state, rates.
import { act, api, confirmAction, enc, h, num, rate, table } from '../lib.js';

const bytesRate = (c, key) => {
  const r = c[`${key}_details`]?.rate;
  return r === undefined ? '' : `${(r / 1024).toFixed(1)} KiB/s`;
};

export async function connectionsList(main) {
  const holder = h('div');
  main.replaceChildren(h('h1', {}, 'Connections'), holder);
  const refresh = async () => {
    const list = await api('/connections');
    holder.replaceChildren(list.length === 0 ? h('p', { class: 'muted', 'data-testid': 'connections-table' }, 'No connections') : table('connections-table', [
      { title: 'Name', col: 'name', cell: (c) => c.user_provided_name ? h('span', { title: c.name }, c.user_provided_name) : c.name },
      { title: 'Peer', col: 'peer', cell: (c) => `${c.peer_host}:${c.peer_port}` },
      { title: 'User', col: 'user', cell: (c) => c.user },
      { title: 'Virtual host', col: 'vhost', cell: (c) => c.vhost },
      { title: 'State', col: 'state', cell: (c) => c.state },
      { title: 'Client', col: 'client', cell: (c) => [c.client_properties?.product, c.client_properties?.version].filter(Boolean).join(' ') },
      { title: 'Channels', col: 'channels', num: true, cell: (c) => num(c.channels) },
      { title: 'From client', col: 'recv', num: true, cell: (c) => bytesRate(c, 'recv_oct') },
      { title: 'To client', col: 'send', num: true, cell: (c) => bytesRate(c, 'send_oct') },
      { title: '', col: 'actions', cell: (c) => h('button', { type: 'button', class: 'danger', 'data-testid': 'connection-close', onclick: async () => {
        if (await confirmAction(`Close connection ${c.name}?`)) if (await act(`/connections/${enc(c.name)}`, { method: 'DELETE' })) await refresh();
      } }, 'Close') },
    ], list, 'connection-row'));
  };
  await refresh();
  return refresh;
}

export async function channelsList(main) {
  const holder = h('div');
  main.replaceChildren(h('h1', {}, 'Channels'), holder);
  const refresh = async () => {
    const list = await api('/channels');
    holder.replaceChildren(list.length === 0 ? h('p', { class: 'muted', 'data-testid': 'channels-table' }, 'No channels') : table('channels-table', [
      { title: 'Channel', col: 'name', cell: (c) => c.name },
      { title: 'User', col: 'user', cell: (c) => c.user },
      { title: 'Virtual host', col: 'vhost', cell: (c) => c.vhost },
      { title: 'State', col: 'state', cell: (c) => c.state },
      { title: 'Mode', col: 'mode', cell: (c) => [c.confirm ? 'confirm' : '', c.transactional ? 'tx' : ''].filter(Boolean).join(' ') },
      { title: 'Consumers', col: 'consumers', num: true, cell: (c) => num(c.consumer_count) },
      { title: 'Prefetch', col: 'prefetch', num: true, cell: (c) => num(c.prefetch_count) },
      { title: 'Unacked', col: 'unacked', num: true, cell: (c) => num(c.messages_unacknowledged) },
      { title: 'Publish', col: 'rate-publish', num: true, cell: (c) => rate(c.message_stats, 'publish') },
      { title: 'Deliver/get', col: 'rate-deliver', num: true, cell: (c) => rate(c.message_stats, 'deliver_get') },
      { title: 'Ack', col: 'rate-ack', num: true, cell: (c) => rate(c.message_stats, 'ack') },
    ], list, 'channel-row'));
  };
  await refresh();
  return refresh;
}
