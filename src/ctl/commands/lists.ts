// The object listings: list_queues, list_exchanges, list_bindings, list_connections,
// list_channels, list_consumers. Each maps rabbitmqctl's info items (columns) onto the JSON of
// the matching management API collection.
import { ApiError, seg } from '../client.js';
import type { Command } from '../command.js';
import { type Context, unexpected } from '../context.js';
import { AmqpTable, ErlangFloat, type Row } from '../format.js';
import { checkColumns } from './columns.js';
import { pidFor } from './pids.js';

type ApiObject = Record<string, unknown>;
/** Computes one column of one API object; `node` is the broker's node name (for pids). */
type Column = (o: ApiObject, node: string) => unknown;

interface ListSpec {
  name: string;
  usage: string;
  description: string;
  itemName: string;
  columns: Record<string, Column>;
  defaults: readonly string[];
  options?: readonly string[];
  banner(ctx: Context): string | readonly string[];
  /** the API collection to read */
  path(ctx: Context): string;
  /** whether the listing belongs to a vhost (rabbitmqctl lists nothing for a vhost that does not exist) */
  vhostScoped: boolean;
}

const num = (key: string): Column => (o) => (typeof o[key] === 'number' ? o[key] : 0);
const str = (key: string): Column => (o) => (o[key] === undefined || o[key] === null ? '' : o[key]);
const bool = (key: string): Column => (o) => o[key] === true;
/** An AMQP table (arguments, client properties); `sorted` as RabbitMQ keeps binding arguments. */
const table =
  (key: string, sorted = false): Column =>
  (o) => {
    const v = o[key];
    const fields = v && typeof v === 'object' && !Array.isArray(v) ? (v as ApiObject) : {};
    return new AmqpTable(sorted ? Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : fields);
  };
/** rabbitmqctl prints a busy consumer_utilisation as the float 1.0 and an idle one as the integer 0. */
const utilisation =
  (key: string): Column =>
  (o) => {
    const v = o[key];
    return typeof v === 'number' && v > 0 ? new ErlangFloat(v) : 0;
  };
const nested = (o: ApiObject, key: string, sub: string): unknown => {
  const v = o[key];
  return v && typeof v === 'object' ? (v as ApiObject)[sub] : undefined;
};

function listCommand(spec: ListSpec): Command {
  const valid = Object.keys(spec.columns);
  return {
    name: spec.name,
    usage: spec.usage,
    description: spec.description,
    argHelp: [[`<${spec.itemName}>`, `must be one of ${[...valid].sort().join(', ')}`]],
    minArgs: 0,
    maxArgs: Infinity,
    options: spec.options,
    requires: 'running',
    validate: (args) => void checkColumns(args, valid),
    banner: (_args, ctx) => spec.banner(ctx),
    async run(args, ctx) {
      const columns = checkColumns(args.length > 0 ? args : spec.defaults, valid);
      let items: ApiObject[];
      try {
        items = await ctx.api.get<ApiObject[]>(spec.path(ctx));
      } catch (e) {
        if (!(spec.vhostScoped && e instanceof ApiError && e.status === 404)) throw unexpected(e);
        items = [];
      }
      const node = columns.some((c) => c.includes('pid') || c === 'connection') ? await ctx.nodeName() : '';
      const rows: Row[] = items.map((item) => Object.fromEntries(columns.map((c) => [c, spec.columns[c]?.(item, node)])));
      ctx.list(columns, rows, 'stream');
    },
  };
}

/** RabbitMQ's API says "AMQP 0-9-1"; rabbitmqctl prints the version tuple {0,9,1}. */
function protocolTuple(o: ApiObject): string {
  const m = /(\d+)-(\d+)-(\d+)/.exec(String(o.protocol ?? ''));
  return m ? `{${m[1]},${m[2]},${m[3]}}` : String(o.protocol ?? '');
}

const QUEUE_COLUMNS: Record<string, Column> = {
  name: str('name'),
  durable: bool('durable'),
  auto_delete: bool('auto_delete'),
  arguments: table('arguments'),
  policy: str('policy'),
  pid: (q, node) => pidFor(node, 'queue', `${String(q.vhost)}/${String(q.name)}`),
  owner_pid: (q, node) => {
    const owner = nested(q, 'owner_pid_details', 'name');
    return typeof owner === 'string' ? pidFor(node, 'connection', owner) : '';
  },
  exclusive: bool('exclusive'),
  exclusive_consumer_pid: (q, node) => {
    const ch = nested(q, 'exclusive_consumer_details', 'name') ?? nested(q, 'exclusive_consumer_pid_details', 'name');
    return typeof ch === 'string' ? pidFor(node, 'channel', ch) : '';
  },
  exclusive_consumer_tag: str('exclusive_consumer_tag'),
  messages_ready: num('messages_ready'),
  messages_unacknowledged: num('messages_unacknowledged'),
  messages: num('messages'),
  messages_ready_ram: (q) => q.messages_ready_ram ?? q.messages_ready ?? 0,
  messages_unacknowledged_ram: (q) => q.messages_unacknowledged_ram ?? q.messages_unacknowledged ?? 0,
  messages_ram: (q) => q.messages_ram ?? q.messages ?? 0,
  messages_persistent: num('messages_persistent'),
  message_bytes: num('message_bytes'),
  message_bytes_ready: num('message_bytes_ready'),
  message_bytes_unacknowledged: num('message_bytes_unacknowledged'),
  message_bytes_ram: num('message_bytes_ram'),
  message_bytes_persistent: num('message_bytes_persistent'),
  head_message_timestamp: str('head_message_timestamp'),
  disk_reads: num('disk_reads'),
  disk_writes: num('disk_writes'),
  consumers: num('consumers'),
  consumer_utilisation: utilisation('consumer_utilisation'),
  consumer_capacity: utilisation('consumer_capacity'),
  memory: num('memory'),
  slave_pids: () => '',
  synchronised_slave_pids: () => '',
  state: (q) => q.state ?? 'running',
  type: (q) => q.type ?? 'classic',
  // replicated (quorum, stream) queues only; empty for classic queues
  leader: str('leader'),
  members: str('members'),
  online: str('online'),
};

const EXCHANGE_COLUMNS: Record<string, Column> = {
  name: str('name'),
  type: str('type'),
  durable: bool('durable'),
  auto_delete: bool('auto_delete'),
  internal: bool('internal'),
  arguments: table('arguments'),
  policy: str('policy'),
};

const BINDING_COLUMNS: Record<string, Column> = {
  source_name: str('source'),
  // bindings always have an exchange as their source
  source_kind: () => 'exchange',
  destination_name: str('destination'),
  destination_kind: str('destination_type'),
  routing_key: str('routing_key'),
  arguments: table('arguments', true),
};

const CONNECTION_COLUMNS: Record<string, Column> = {
  pid: (c, node) => pidFor(node, 'connection', String(c.name)),
  name: str('name'),
  port: num('port'),
  host: str('host'),
  peer_port: num('peer_port'),
  peer_host: str('peer_host'),
  ssl: bool('ssl'),
  ssl_protocol: str('ssl_protocol'),
  ssl_key_exchange: str('ssl_key_exchange'),
  ssl_cipher: str('ssl_cipher'),
  ssl_hash: str('ssl_hash'),
  peer_cert_subject: str('peer_cert_subject'),
  peer_cert_issuer: str('peer_cert_issuer'),
  peer_cert_validity: str('peer_cert_validity'),
  state: (c) => c.state ?? 'running',
  channels: num('channels'),
  protocol: protocolTuple,
  auth_mechanism: str('auth_mechanism'),
  user: str('user'),
  vhost: str('vhost'),
  timeout: num('timeout'),
  frame_max: num('frame_max'),
  channel_max: num('channel_max'),
  client_properties: table('client_properties'),
  recv_oct: num('recv_oct'),
  recv_cnt: num('recv_cnt'),
  send_oct: num('send_oct'),
  send_cnt: num('send_cnt'),
  send_pend: num('send_pend'),
  connected_at: num('connected_at'),
};

const CHANNEL_COLUMNS: Record<string, Column> = {
  pid: (c, node) => pidFor(node, 'channel', String(c.name)),
  connection: (c, node) => {
    const conn = nested(c, 'connection_details', 'name');
    return typeof conn === 'string' ? pidFor(node, 'connection', conn) : '';
  },
  name: str('name'),
  number: num('number'),
  user: str('user'),
  vhost: str('vhost'),
  transactional: bool('transactional'),
  confirm: bool('confirm'),
  consumer_count: num('consumer_count'),
  messages_unacknowledged: num('messages_unacknowledged'),
  messages_uncommitted: num('messages_uncommitted'),
  acks_uncommitted: num('acks_uncommitted'),
  messages_unconfirmed: num('messages_unconfirmed'),
  prefetch_count: num('prefetch_count'),
  global_prefetch_count: num('global_prefetch_count'),
};

const CONSUMER_COLUMNS: Record<string, Column> = {
  queue_name: (c) => nested(c, 'queue', 'name') ?? '',
  channel_pid: (c, node) => {
    const ch = nested(c, 'channel_details', 'name');
    return typeof ch === 'string' ? pidFor(node, 'channel', ch) : '';
  },
  consumer_tag: str('consumer_tag'),
  ack_required: bool('ack_required'),
  prefetch_count: num('prefetch_count'),
  active: (c) => c.active ?? true,
  activity_status: (c) => c.activity_status ?? 'up',
  arguments: table('arguments'),
};

export const listCommands: Command[] = [
  listCommand({
    name: 'list_queues',
    usage: '[--vhost <vhost>] [--online] [--offline] [--local] [--no-table-headers] [<column>, ...] [--timeout <timeout>]',
    description: 'Lists the queues of a vhost, with the columns asked for',
    itemName: 'column',
    columns: QUEUE_COLUMNS,
    defaults: ['name', 'messages'],
    // single node: every queue is online and local, so these filters change nothing
    options: ['online', 'offline', 'local'],
    banner: (ctx) => [`Timeout: ${timeoutText(ctx)} seconds ...`, `Listing queues for vhost ${ctx.opts.vhost} ...`],
    path: (ctx) => `/api/queues/${seg(ctx.opts.vhost)}`,
    vhostScoped: true,
  }),
  listCommand({
    name: 'list_exchanges',
    usage: '[--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]',
    description: 'Lists the exchanges of a vhost',
    itemName: 'column',
    columns: EXCHANGE_COLUMNS,
    defaults: ['name', 'type'],
    banner: (ctx) => `Listing exchanges for vhost ${ctx.opts.vhost} ...`,
    path: (ctx) => `/api/exchanges/${seg(ctx.opts.vhost)}`,
    vhostScoped: true,
  }),
  listCommand({
    name: 'list_bindings',
    usage: '[--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]',
    description: 'Lists the bindings of a vhost, default-exchange bindings included',
    itemName: 'column',
    columns: BINDING_COLUMNS,
    defaults: ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments'],
    banner: (ctx) => `Listing bindings for vhost ${ctx.opts.vhost}...`,
    path: (ctx) => `/api/bindings/${seg(ctx.opts.vhost)}`,
    vhostScoped: true,
  }),
  listCommand({
    name: 'list_connections',
    usage: '[--no-table-headers] [<column> ...] [--timeout <timeout>]',
    description: 'Lists the AMQP connections',
    itemName: 'column',
    columns: CONNECTION_COLUMNS,
    defaults: ['user', 'peer_host', 'peer_port', 'state'],
    banner: () => 'Listing connections ...',
    path: () => '/api/connections',
    vhostScoped: false,
  }),
  listCommand({
    name: 'list_channels',
    usage: '[--no-table-headers] [<column> ...]',
    description: 'Lists the AMQP channels',
    itemName: 'column',
    columns: CHANNEL_COLUMNS,
    defaults: ['pid', 'user', 'consumer_count', 'messages_unacknowledged'],
    banner: () => 'Listing channels ...',
    path: () => '/api/channels',
    vhostScoped: false,
  }),
  listCommand({
    name: 'list_consumers',
    usage: '[--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]',
    description: 'Lists the consumers on the queues of a vhost',
    itemName: 'column',
    columns: CONSUMER_COLUMNS,
    defaults: ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'arguments'],
    banner: (ctx) => `Listing consumers in vhost ${ctx.opts.vhost} ...`,
    path: (ctx) => `/api/consumers/${seg(ctx.opts.vhost)}`,
    vhostScoped: true,
  }),
];

/** rabbitmqctl prints the timeout as a float of seconds: "60.0". */
function timeoutText(ctx: Context): string {
  const s = ctx.opts.timeout ?? 60;
  return Number.isInteger(s) ? s.toFixed(1) : String(s);
}
