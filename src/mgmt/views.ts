// The JSON views of the management API: every object as RabbitMQ's management plugin shows it,
// with its snake_case keys. This is the one place where broker objects become JSON; handlers
// only pick which objects to show.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { type Channel, Consumer } from '../amqp/channel.js';
import { Connection } from '../amqp/connection.js';
import type { Permission, User } from '../auth/users.js';
import type { Broker } from '../broker.js';
import { type Binding, canonicalTable, type Exchange } from '../core/exchange/index.js';
import type { Message } from '../core/message.js';
import type { Queue } from '../core/queue/queue.js';
import { effectiveDefinition, queuePolicies } from '../core/policies.js';
import type { VHost } from '../core/vhost.js';
import type { FieldTable } from '../protocol/field-value.js';
import type { BasicProperties } from '../protocol/generated/properties.js';
import { tableToJson } from '../store/definitions.js';
import type { JsonObject } from './list.js';
import { C, CH, Q, type RateSampler, T, X } from './stats.js';

/** The broker's node name, shaped like RabbitMQ's (name@short-hostname). */
export function nodeName(): string {
  return `warren@${hostname().split('.')[0] ?? 'localhost'}`;
}

export interface ViewContext {
  readonly broker: Broker;
  readonly sampler: RateSampler;
  readonly node: string;
}

/** Strips the IPv4-mapped prefix Node reports for IPv4 peers on dual-stack sockets. */
export function plainAddress(a: string | undefined): string {
  if (a === undefined) return 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** A vhost's description and tags; RabbitMQ's default vhost is described from the first boot. */
function vhostMetadata(ctx: ViewContext, name: string): { description: string; tags: string[]; defaultQueueType: string | undefined } {
  const m = ctx.broker.admin.vhostMetadata(name);
  const fallback = name === ctx.broker.config.defaultVhost ? 'Default virtual host' : '';
  return { description: m.description ?? fallback, tags: m.tags ?? [], defaultQueueType: m.default_queue_type };
}

/** A counter with its *_details {rate}. */
function counter(out: JsonObject, key: string, value: number, rate: number): void {
  out[key] = value;
  out[`${key}_details`] = { rate };
}

// --- queues -----------------------------------------------------------------------------------

/** Per-entry memory RabbitMQ would count for a message kept in RAM (an estimate, not a measure). */
const RAM_ENTRY_BYTES = 128;
/** A paged-out entry costs 21 bytes in the compact index. */
const PAGED_ENTRY_BYTES = 21;
/** The fixed cost of an empty queue object (an estimate). */
const QUEUE_BASE_BYTES = 2048;

export function queueView(ctx: ViewContext, q: Queue, detailed = false): JsonObject {
  const rate = (i: number): number => ctx.sampler.rate(q, i);
  const ready = q.messageCount;
  const paged = q.pagedOut;
  const pagedBytes = q.pagedOutBytes;
  const ramBytes = q.readyBytes - pagedBytes;
  const exclusiveConsumer = q.consumers.find((c) => c.exclusive);
  const v: JsonObject = {
    arguments: tableToJson(q.arguments),
    auto_delete: q.autoDelete,
    backing_queue_status: { mode: q.arguments['x-queue-mode'] === 'lazy' ? 'lazy' : 'default', len: ready },
    consumer_capacity: q.consumerCount > 0 ? 1 : 0,
    consumer_utilisation: q.consumerCount > 0 ? 1 : 0,
    consumers: q.consumerCount,
    durable: q.durable,
    effective_policy_definition: effectiveDefinition(queuePolicies(q).policy?.definition, queuePolicies(q).operator?.definition),
    exclusive: q.exclusive,
    exclusive_consumer_tag: exclusiveConsumer ? exclusiveConsumer.tag : null,
    head_message_timestamp: null,
    memory: QUEUE_BASE_BYTES + (ready - paged + q.unacked) * RAM_ENTRY_BYTES + paged * PAGED_ENTRY_BYTES + ramBytes,
    message_bytes: q.readyBytes,
    message_bytes_paged_out: pagedBytes,
    message_bytes_persistent: 0,
    message_bytes_ram: ramBytes,
    message_bytes_ready: q.readyBytes,
    message_bytes_unacknowledged: 0,
  };
  counter(v, 'messages', ready + q.unacked, rate(Q.messages));
  v.messages_paged_out = paged;
  v.messages_persistent = 0;
  v.messages_ram = ready - paged + q.unacked;
  counter(v, 'messages_ready', ready, rate(Q.ready));
  v.messages_ready_ram = ready - paged;
  counter(v, 'messages_unacknowledged', q.unacked, rate(Q.unacked));
  v.messages_unacknowledged_ram = q.unacked;
  v.name = q.name;
  v.node = ctx.node;
  v.operator_policy = q.operatorPolicyName ?? null;
  v.policy = q.policyName ?? null;
  v.recoverable_slaves = null;
  v.single_active_consumer_tag = q.singleActiveConsumerTag;
  v.state = q.flowLimited ? 'flow' : 'running';
  v.type = 'classic';
  v.vhost = q.vhost;
  const owner = q.exclusiveOwner;
  if (owner instanceof Connection) {
    v.owner_pid_details = { name: owner.peer, peer_host: plainAddress(owner.socket.remoteAddress), peer_port: owner.socket.remotePort ?? 0 };
  }
  const stats = queueMessageStats(q, rate);
  if (stats) v.message_stats = stats;
  if (detailed) {
    v.consumer_details = q.consumers.filter((c): c is Consumer => c instanceof Consumer).map((c) => consumerView(ctx, c));
    v.deliveries = [];
    v.incoming = [];
  }
  return v;
}

/** Only counters that saw activity appear, as in RabbitMQ. */
function queueMessageStats(q: Queue, rate: (i: number) => number): JsonObject | undefined {
  const s = q.stats;
  const out: JsonObject = {};
  if (s.published > 0) counter(out, 'publish', s.published, rate(Q.publish));
  if (s.delivered + s.gets > 0 || s.acked > 0) {
    counter(out, 'ack', s.acked, rate(Q.ack));
    counter(out, 'deliver', s.delivered, rate(Q.deliver));
    counter(out, 'deliver_get', s.delivered + s.gets, rate(Q.deliverGet));
    counter(out, 'deliver_no_ack', 0, 0);
    counter(out, 'get', s.gets, rate(Q.get));
    counter(out, 'get_empty', 0, 0);
    counter(out, 'get_no_ack', 0, 0);
    counter(out, 'redeliver', s.redelivered, rate(Q.redeliver));
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

// --- exchanges --------------------------------------------------------------------------------

export function exchangeView(ctx: ViewContext, e: Exchange, detailed = false): JsonObject {
  const v: JsonObject = {
    arguments: tableToJson(e.settings.arguments),
    auto_delete: e.autoDelete,
    durable: e.durable,
    internal: e.internal,
    name: e.name,
    type: e.type,
    vhost: e.vhost,
  };
  // RabbitMQ shows the key only while a policy applies
  if (e.policyName !== undefined) v.policy = e.policyName;
  // who declared an exchange is not recorded; RabbitMQ's built-ins are its own
  if (e.name === '' || e.name.startsWith('amq.')) v.user_who_performed_action = 'rmq-internal';
  if (e.publishIn > 0) {
    const stats: JsonObject = {};
    counter(stats, 'publish_in', e.publishIn, ctx.sampler.rate(e, X.publishIn));
    counter(stats, 'publish_out', e.publishOut, ctx.sampler.rate(e, X.publishOut));
    v.message_stats = stats;
  }
  if (detailed) {
    v.incoming = [];
    v.outgoing = [];
  }
  return v;
}

// --- bindings ---------------------------------------------------------------------------------

/** mochiweb's quote_plus, then '~' escaped, as RabbitMQ builds the properties_key. */
function quoteBinding(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9._-]/.test(ch)) out += ch;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The "name" RabbitMQ gives a binding in URLs: its routing key, plus "~" and a short hash of its
 * arguments when it has any ("~" alone for an empty key without arguments). The hash is our own
 * (RabbitMQ hashes the Erlang term); clients read it from listings, never compute it.
 */
export function propertiesKey(routingKey: string, args: FieldTable): string {
  const hasArgs = Object.keys(args).length > 0;
  if (!hasArgs) return routingKey === '' ? '~' : quoteBinding(routingKey);
  const digest = createHash('sha256').update(canonicalTable(args)).digest();
  return `${quoteBinding(routingKey)}~${digest.subarray(0, 4).toString('base64url')}`;
}

export interface BindingRow {
  source: string;
  vhost: string;
  destination: string;
  destinationType: 'queue' | 'exchange';
  routingKey: string;
  arguments: FieldTable;
}

export function bindingRow(b: Binding, vhost: string): BindingRow {
  return { source: b.source.name, vhost, destination: b.destination.name, destinationType: b.destination.kind, routingKey: b.routingKey, arguments: b.arguments };
}

/** The implicit binding of a queue to the default exchange, which RabbitMQ lists too. */
export function defaultBindingRow(q: Queue): BindingRow {
  return { source: '', vhost: q.vhost, destination: q.name, destinationType: 'queue', routingKey: q.name, arguments: {} };
}

export function bindingView(b: BindingRow): JsonObject {
  return {
    source: b.source,
    vhost: b.vhost,
    destination: b.destination,
    destination_type: b.destinationType,
    routing_key: b.routingKey,
    arguments: tableToJson(b.arguments),
    properties_key: propertiesKey(b.routingKey, b.arguments),
  };
}

/** Every binding of a vhost, default-exchange bindings first, as RabbitMQ lists them. */
export function vhostBindings(v: VHost): BindingRow[] {
  const out: BindingRow[] = [];
  for (const q of v.queues.values()) out.push(defaultBindingRow(q));
  for (const e of v.exchanges.values()) for (const b of e.bindings.values()) out.push(bindingRow(b, v.name));
  return out;
}

// --- connections, channels, consumers ---------------------------------------------------------

interface TlsInfo {
  encrypted?: boolean;
  getProtocol?: () => string | null;
  getCipher?: () => { name: string } | undefined;
}

export function connectionView(ctx: ViewContext, c: Connection): JsonObject {
  const s = c.socket;
  const tls = s as unknown as TlsInfo;
  const ssl = tls.encrypted === true;
  const props = c.clientProperties;
  const v: JsonObject = {
    auth_mechanism: 'PLAIN',
    channel_max: c.channelMax,
    channels: c.openChannels.length,
    client_properties: tableToJson(props),
    connected_at: c.connectedAt,
    frame_max: c.frameMax,
    host: plainAddress(s.localAddress),
    name: c.peer,
    node: ctx.node,
    peer_cert_issuer: null,
    peer_cert_subject: null,
    peer_cert_validity: null,
    peer_host: plainAddress(s.remoteAddress),
    peer_port: s.remotePort ?? 0,
    port: s.localPort ?? 0,
    protocol: 'AMQP 0-9-1',
  };
  counter(v, 'recv_oct', s.bytesRead, ctx.sampler.rate(c, C.recvOct));
  counter(v, 'send_oct', s.bytesWritten, ctx.sampler.rate(c, C.sendOct));
  v.send_pend = c.pendingBytes;
  v.ssl = ssl;
  v.ssl_cipher = ssl ? (tls.getCipher?.()?.name ?? null) : null;
  v.ssl_hash = null;
  v.ssl_key_exchange = null;
  v.ssl_protocol = ssl ? (tls.getProtocol?.() ?? null) : null;
  v.state = c.managementState;
  v.timeout = c.heartbeat;
  v.type = 'network';
  v.user = c.username;
  v.user_who_performed_action = c.username;
  v.vhost = c.vhostName;
  if (typeof props.connection_name === 'string') v.user_provided_name = props.connection_name;
  return v;
}

export function channelName(ch: Channel): string {
  return `${ch.conn.peer} (${ch.id})`;
}

function channelDetails(ctx: ViewContext, ch: Channel): JsonObject {
  const s = ch.conn.socket;
  return {
    connection_name: ch.conn.peer,
    name: channelName(ch),
    node: ctx.node,
    number: ch.id,
    peer_host: plainAddress(s.remoteAddress),
    peer_port: s.remotePort ?? 0,
    user: ch.conn.username,
  };
}

export function channelView(ctx: ViewContext, ch: Channel, detailed = false): JsonObject {
  const conn = ch.conn;
  const rate = (i: number): number => ctx.sampler.rate(ch, i);
  const v: JsonObject = {
    acks_uncommitted: ch.uncommittedAcks,
    confirm: ch.confirmMode,
    connection_details: { name: conn.peer, peer_host: plainAddress(conn.socket.remoteAddress), peer_port: conn.socket.remotePort ?? 0 },
    consumer_count: ch.consumers.size,
    global_prefetch_count: ch.globalPrefetch,
  };
  const stats: JsonObject = {};
  if (ch.publishCount > 0) counter(stats, 'publish', ch.publishCount, rate(CH.publish));
  if (ch.deliverGetCount > 0 || ch.ackCount > 0) {
    counter(stats, 'ack', ch.ackCount, rate(CH.ack));
    counter(stats, 'deliver_get', ch.deliverGetCount, rate(CH.deliverGet));
  }
  if (Object.keys(stats).length > 0) v.message_stats = stats;
  Object.assign(v, {
    messages_unacknowledged: ch.unacked.size,
    messages_uncommitted: ch.uncommittedMessages,
    messages_unconfirmed: ch.unconfirmedCount,
    name: channelName(ch),
    node: ctx.node,
    number: ch.id,
    pending_raft_commands: 0,
    prefetch_count: ch.consumerPrefetch,
    state: ch.state === 'open' ? 'running' : 'closing',
    transactional: ch.txMode,
    user: conn.username,
    user_who_performed_action: conn.username,
    vhost: conn.vhostName,
  });
  if (detailed) {
    v.consumer_details = [...ch.consumers.values()].map((c) => consumerView(ctx, c));
    v.deliveries = [];
    v.publishes = [];
  }
  return v;
}

export function consumerView(ctx: ViewContext, c: Consumer): JsonObject {
  return {
    ack_required: !c.noAck,
    // single active consumer: the active one is 'single_active', the others 'waiting'
    active: c.queue.isActiveConsumer(c),
    activity_status: c.queue.limits.singleActiveConsumer ? (c.queue.isActiveConsumer(c) ? 'single_active' : 'waiting') : 'up',
    arguments: tableToJson(c.args),
    channel_details: channelDetails(ctx, c.channel),
    consumer_tag: c.tag,
    exclusive: c.exclusive,
    prefetch_count: c.prefetch,
    queue: { name: c.queue.name, vhost: c.queue.vhost },
  };
}

// --- vhosts, users, permissions ---------------------------------------------------------------

export function vhostView(ctx: ViewContext, v: VHost): JsonObject {
  const b = ctx.broker;
  const conns = [...b.connections].filter((c) => c.vhostName === v.name);
  const t = (i: number): number => ctx.sampler.rate(v, i);
  let ready = 0;
  let unacked = 0;
  for (const q of v.queues.values()) {
    ready += q.messageCount;
    unacked += q.unacked;
  }
  let recv = 0;
  let send = 0;
  for (const c of conns) {
    recv += c.socket.bytesRead;
    send += c.socket.bytesWritten;
  }
  const meta = vhostMetadata(ctx, v.name);
  const out: JsonObject = {
    cluster_state: { [ctx.node]: 'running' },
    // RabbitMQ shows the Erlang atom when none was set
    default_queue_type: meta.defaultQueueType ?? 'undefined',
    description: meta.description,
  };
  const stats = vhostMessageStats(ctx, v);
  if (stats) out.message_stats = stats;
  counter(out, 'messages', ready + unacked, t(T.messages));
  counter(out, 'messages_ready', ready, t(T.ready));
  counter(out, 'messages_unacknowledged', unacked, t(T.unacked));
  out.metadata = { description: meta.description, tags: meta.tags };
  out.name = v.name;
  counter(out, 'recv_oct', recv, t(T.recvOct));
  counter(out, 'send_oct', send, t(T.sendOct));
  out.tags = meta.tags;
  out.tracing = false;
  return out;
}

/** A vhost's message_stats: sums over its queues and exchanges, once there was traffic. */
function vhostMessageStats(ctx: ViewContext, v: VHost): JsonObject | undefined {
  let publish = 0;
  let deliver = 0;
  let gets = 0;
  let ack = 0;
  let redeliver = 0;
  for (const e of v.exchanges.values()) publish += e.publishIn;
  for (const q of v.queues.values()) {
    deliver += q.stats.delivered;
    gets += q.stats.gets;
    ack += q.stats.acked;
    redeliver += q.stats.redelivered;
  }
  if (publish + deliver + gets + ack === 0) return undefined;
  const r = (i: number): number => ctx.sampler.rate(v, i);
  const out: JsonObject = {};
  counter(out, 'publish', publish, r(T.publish));
  counter(out, 'ack', ack, r(T.ack));
  counter(out, 'deliver', deliver, 0);
  counter(out, 'deliver_get', deliver + gets, r(T.deliverGet));
  counter(out, 'get', gets, 0);
  counter(out, 'redeliver', redeliver, r(T.redeliver));
  return out;
}

export function userView(u: User): JsonObject {
  return {
    hashing_algorithm: u.hashingAlgorithm ?? 'rabbit_password_hashing_sha256',
    limits: u.limits ?? {},
    name: u.name,
    password_hash: u.passwordHash,
    tags: [...u.tags],
  };
}

export function permissionView(user: string, vhost: string, p: Permission): JsonObject {
  return { configure: p.configure, read: p.read, user, vhost, write: p.write };
}

// --- messages (POST …/get) --------------------------------------------------------------------

const PROPERTY_KEYS: [keyof BasicProperties, string][] = [
  ['contentType', 'content_type'],
  ['contentEncoding', 'content_encoding'],
  ['headers', 'headers'],
  ['deliveryMode', 'delivery_mode'],
  ['priority', 'priority'],
  ['correlationId', 'correlation_id'],
  ['replyTo', 'reply_to'],
  ['expiration', 'expiration'],
  ['messageId', 'message_id'],
  ['timestamp', 'timestamp'],
  ['type', 'type'],
  ['userId', 'user_id'],
  ['appId', 'app_id'],
  ['clusterId', 'cluster_id'],
];

/**
 * Basic properties as RabbitMQ's management plugin shows them: only those set, snake_case; none at
 * all is an empty list (an empty Erlang proplist).
 */
export function propertiesView(p: BasicProperties): JsonObject | [] {
  const out: JsonObject = {};
  for (const [k, json] of PROPERTY_KEYS) {
    const v = p[k];
    if (v === undefined) continue;
    out[json] = k === 'headers' ? tableToJson(v as FieldTable) : v;
  }
  return Object.keys(out).length > 0 ? out : [];
}

/** Is the buffer valid UTF-8 (encoding "auto" shows such payloads as text)? */
function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

export function messageView(msg: Message, redelivered: boolean, messageCount: number, encoding: 'auto' | 'base64', truncate: number | undefined): JsonObject {
  const body = truncate !== undefined && msg.body.length > truncate ? msg.body.subarray(0, truncate) : msg.body;
  const asText = encoding === 'auto' && isUtf8(body);
  return {
    payload_bytes: msg.bodySize,
    redelivered,
    exchange: msg.exchange,
    routing_key: msg.routingKey,
    message_count: messageCount,
    properties: propertiesView(msg.properties()),
    payload: asText ? body.toString('utf8') : body.toString('base64'),
    payload_encoding: asText ? 'string' : 'base64',
  };
}
