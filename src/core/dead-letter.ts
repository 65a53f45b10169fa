// Dead-lettering: a message leaving a queue as rejected, expired or over its length limit is
// republished to the queue's dead-letter exchange, with the x-death history RabbitMQ 3.10 writes.
// The queue decides when; this file decides how the republished message looks and where it goes.
// Like RabbitMQ 3.10 it is at-most-once: no confirms, and a missing exchange drops the message.
import type { FieldTable, FieldValue } from '../protocol/field-value.js';
import { PROPERTY_FLAGS } from '../protocol/generated/properties.js';
import { type Exchange, route } from './exchange/index.js';
import { Message, rawProperties } from './message.js';
import type { Queue } from './queue/queue.js';

export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen';

/** An x-death entry's string field (RabbitMQ writes longstr; a client may send binary). */
function text(v: FieldValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}

function countOf(v: FieldValue | undefined): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && 'type' in v && 'value' in v) {
    const n = v.value;
    if (typeof n === 'bigint') return n;
    if (typeof n === 'number') return BigInt(n);
  }
  return 0n;
}

/** The routing keys a message was published with: its routing key and its CC header's keys (BCC is never shown). */
function publishedRoutingKeys(msg: Message, headers: FieldTable | undefined): string[] {
  const keys = [msg.routingKey];
  const cc = headers?.CC;
  if (Array.isArray(cc)) for (const k of cc) if (text(k) !== undefined) keys.push(text(k) as string);
  return keys;
}

/**
 * Builds the dead-lettered copy of `msg` leaving `queue` for `reason` (RabbitMQ 3.10's
 * rabbit_dead_letter): x-death gets an entry per queue+reason+exchange, counted, the latest first
 * (the first one in RabbitMQ's field order, later ones with sorted keys, as RabbitMQ writes them);
 * x-first-death-* are set once; the expiration
 * property moves into x-death's original-expiration. With a dead-letter routing key set, CC and
 * BCC are dropped so the copy goes only where that key leads.
 */
export function deadLetteredCopy(queue: Queue, msg: Message, reason: DeadLetterReason, nowMs: number, exchange: string, routingKey: string | undefined): Message {
  const props = { ...msg.properties() };
  const headers: FieldTable = { ...(props.headers ?? {}) };
  // key order as RabbitMQ 3.10 writes the table
  const info: FieldTable = {
    count: { type: 'l', value: 1n },
    reason,
    queue: queue.name,
    time: { type: 'T', value: Math.floor(nowMs / 1000) },
    exchange: msg.exchange,
    'routing-keys': publishedRoutingKeys(msg, props.headers),
  };
  if (props.expiration !== undefined) {
    info['original-expiration'] = props.expiration;
    delete props.expiration;
  }
  const history = Array.isArray(headers['x-death']) ? (headers['x-death'] as FieldValue[]) : [];
  const others: FieldValue[] = [];
  let found: FieldTable | undefined;
  for (const h of history) {
    const t = h as FieldTable;
    if (found === undefined && text(t.queue) === queue.name && text(t.reason) === reason && text(t.exchange) === msg.exchange) found = t;
    else others.push(h);
  }
  if (history.length === 0) headers['x-death'] = [info];
  else {
    // RabbitMQ sorts the keys of the entry it adds or updates once an x-death exists
    const entry: FieldTable = found === undefined ? info : { ...found, count: { type: 'l', value: countOf(found.count) + 1n } };
    const sorted: FieldTable = {};
    for (const k of Object.keys(entry).sort()) sorted[k] = entry[k] as FieldValue;
    headers['x-death'] = [sorted, ...others];
  }
  if (headers['x-first-death-reason'] === undefined) {
    headers['x-first-death-exchange'] = msg.exchange;
    headers['x-first-death-queue'] = queue.name;
    headers['x-first-death-reason'] = reason;
  }
  if (routingKey !== undefined) {
    delete headers.CC;
    delete headers.BCC;
  }
  props.headers = headers;
  return new Message(exchange, routingKey ?? msg.routingKey, rawProperties(props), msg.body);
}

/**
 * Would this delivery close a cycle? RabbitMQ drops the copy for a queue it already died in, unless
 * some death in its history was a rejection (a consumer chose to send it round again).
 */
function isCycle(target: Queue, headers: FieldTable | undefined): boolean {
  const history = headers?.['x-death'];
  if (!Array.isArray(history)) return false;
  let seen = false;
  for (const h of history) {
    const t = h as FieldTable;
    if (text(t.reason) === 'rejected') return false;
    if (text(t.queue) === target.name) seen = true;
  }
  return seen;
}

const targets: Queue[] = [];

/**
 * Republishes `msg`, leaving `queue` for `reason`, through the queue's dead-letter exchange (looked
 * up with `findExchange`). Returns how many queues took the copy (0: dropped, as RabbitMQ).
 */
export function deadLetter(queue: Queue, msg: Message, reason: DeadLetterReason, nowMs: number, findExchange: (name: string) => Exchange | undefined): number {
  const dlx = queue.limits.deadLetterExchange;
  if (dlx === undefined) return 0;
  const ex = findExchange(dlx);
  if (ex === undefined) return 0;
  const copy = deadLetteredCopy(queue, msg, reason, nowMs, dlx, queue.limits.deadLetterRoutingKey);
  const from = targets.length; // dead-lettering can nest (a copy overflowing its next queue)
  route(ex, copy, targets);
  const headers = (copy.propsRaw.readUInt16BE(0) & PROPERTY_FLAGS.headers) !== 0 ? copy.properties().headers : undefined;
  const found = targets.splice(from);
  let n = 0;
  for (const q of found) {
    if (q.deleted || isCycle(q, headers)) continue;
    q.enqueue(copy);
    n += 1;
  }
  return n;
}
