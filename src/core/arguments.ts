// Queue and exchange argument helpers shared by declare paths: which x-arguments take part in the
// redeclare equivalence check, and RabbitMQ's way of describing a value in error texts.
import { type FieldValue, isTypedValue, numericValue } from '../protocol/field-value.js';

/** The queue arguments RabbitMQ 3.10 compares on redeclare (rabbit_amqqueue's declare args). */
export const EQUIVALENCE_QUEUE_ARGS = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-in-memory-length',
  'x-max-in-memory-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
  'x-single-active-consumer',
  'x-queue-master-locator',
  'x-queue-leader-locator',
] as const;

/** RabbitMQ's names for field types, as they appear in error texts. */
export function typeName(v: FieldValue): string {
  if (typeof v === 'string') return 'longstr';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= 0x7fffffff ? 'signedint' : 'double';
  if (typeof v === 'bigint') return 'long';
  if (v === null) return 'void';
  if (Buffer.isBuffer(v)) return 'binary';
  if (Array.isArray(v)) return 'array';
  if (isTypedValue(v)) {
    const names: Record<string, string> = { b: 'byte', B: 'unsignedbyte', s: 'short', u: 'unsignedshort', I: 'signedint', i: 'unsignedint', l: 'long', f: 'float', d: 'double', D: 'decimal', T: 'timestamp' };
    return names[v.type] ?? 'unknown';
  }
  return 'table';
}

function show(v: FieldValue): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  const n = numericValue(v);
  if (n !== undefined) return String(n);
  return JSON.stringify(v);
}

/** "the value '10' of type 'signedint'" or "none", as RabbitMQ words it. */
export function describeArgument(v: FieldValue | undefined): string {
  return v === undefined ? 'none' : `the value '${show(v)}' of type '${typeName(v)}'`;
}

function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const na = numericValue(a);
  const nb = numericValue(b);
  if (na !== undefined || nb !== undefined) return na === nb;
  return show(a) === show(b) && typeName(a) === typeName(b);
}

/** The first equivalence-relevant argument that differs, or undefined when equivalent. */
export function equivalentQueueArgs(current: Record<string, FieldValue>, requested: Record<string, FieldValue>): string | undefined {
  for (const k of EQUIVALENCE_QUEUE_ARGS) {
    if (!sameValue(current[k], requested[k])) return k;
  }
  return undefined;
}
