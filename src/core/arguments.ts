// Queue and exchange arguments: validation at declare time (RabbitMQ 3.10's checks and error
// terms), the redeclare equivalence check, and the parsed limits a queue enforces.
import { preconditionFailed, rname } from '../errors.js';
import { type FieldTable, type FieldValue, isIntegerValue, isTypedValue, numericValue } from '../protocol/field-value.js';

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

/** The only exchange argument RabbitMQ compares on redeclare. */
export const EQUIVALENCE_EXCHANGE_ARGS = ['alternate-exchange'] as const;

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
  if (typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  const n = numericValue(v);
  if (n !== undefined) return String(n);
  return JSON.stringify(v);
}

/** "the value '10' of type 'signedint'" or "none", as RabbitMQ words a one-sided difference. */
export function describeArgument(v: FieldValue | undefined): string {
  return v === undefined ? 'none' : `the value '${show(v)}' of type '${typeName(v)}'`;
}

/** Integers compare across integer widths and floats across float widths, as RabbitMQ's type classes. */
function sameValue(a: FieldValue, b: FieldValue): boolean {
  const na = numericValue(a);
  const nb = numericValue(b);
  if (na !== undefined || nb !== undefined) return na === nb && isIntegerValue(a) === isIntegerValue(b);
  return show(a) === show(b) && typeName(a) === typeName(b);
}

/**
 * Throws 406 with RabbitMQ's text when `requested` differs from `current` in a compared argument:
 * "received '20' but current is '10'" when both have it, "received none but current is the value
 * '10' of type 'byte'" when one side lacks it.
 */
export function assertEquivalentArgs(keys: readonly string[], current: FieldTable, requested: FieldTable, what: string): void {
  for (const k of keys) {
    const a = current[k];
    const b = requested[k];
    if (a === undefined && b === undefined) continue;
    if (a !== undefined && b !== undefined) {
      if (sameValue(a, b)) continue;
      throw preconditionFailed(`inequivalent arg '${k}' for ${what}: received '${show(b)}' but current is '${show(a)}'`);
    }
    throw preconditionFailed(`inequivalent arg '${k}' for ${what}: received ${describeArgument(b)} but current is ${describeArgument(a)}`);
  }
}

// --- validation ----------------------------------------------------------------------------------

type Check = (v: FieldValue) => string | undefined;

const integer: Check = (v) => (isIntegerValue(v) ? undefined : `"expected integer, got ${typeName(v)}"`);
const nonNegative: Check = (v) => integer(v) ?? ((numericValue(v) as number) < 0 ? `{value_negative,${numericValue(v)}}` : undefined);
const positive: Check = (v) => nonNegative(v) ?? ((numericValue(v) as number) === 0 ? `{value_zero,0}` : undefined);
const str: Check = (v) => (typeof v === 'string' || Buffer.isBuffer(v) ? undefined : `{unacceptable_type,${typeName(v)}}`);
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : `{unacceptable_type,${typeName(v)}}`);
/** x-dead-letter-exchange of the wrong type: RabbitMQ words this one differently (see validateQueueArguments). */
const WRONG_TYPE = 'wrong type';
const exchangeName: Check = (v) => (typeof v === 'string' || Buffer.isBuffer(v) ? undefined : WRONG_TYPE);
const oneOf =
  (values: string[], term: string): Check =>
  (v) =>
    typeof v !== 'string' && !Buffer.isBuffer(v) ? `{unacceptable_type,${typeName(v)}}` : values.includes(show(v)) ? undefined : term;
const maxPriority: Check = (v) => nonNegative(v) ?? ((numericValue(v) as number) > 255 ? `{max_value_exceeded,${numericValue(v)}}` : undefined);

/** Each queue argument RabbitMQ validates, with its check. Unknown x-arguments are accepted. */
const QUEUE_CHECKS: Record<string, Check> = {
  'x-expires': positive,
  'x-message-ttl': nonNegative,
  'x-dead-letter-exchange': exchangeName,
  'x-dead-letter-routing-key': str,
  'x-max-length': nonNegative,
  'x-max-length-bytes': nonNegative,
  'x-max-in-memory-length': nonNegative,
  'x-max-in-memory-bytes': nonNegative,
  'x-max-priority': maxPriority,
  'x-overflow': oneOf(['drop-head', 'reject-publish', 'reject-publish-dlx'], 'invalid_overflow'),
  'x-queue-mode': oneOf(['default', 'lazy'], 'invalid_queue_mode'),
  'x-queue-type': oneOf(['classic'], 'unsupported_queue_type'),
  'x-single-active-consumer': bool,
};

export function validateQueueArguments(args: FieldTable, queue: string, vhost: string): void {
  for (const k of Object.keys(args)) {
    const check = QUEUE_CHECKS[k];
    if (check === undefined) continue;
    const problem = check(args[k] as FieldValue);
    if (problem === WRONG_TYPE) throw preconditionFailed(`invalid type '${typeName(args[k] as FieldValue)}' for arg '${k}' in ${rname('queue', queue, vhost)}`);
    if (problem !== undefined) throw preconditionFailed(`invalid arg '${k}' for ${rname('queue', queue, vhost)}: ${problem}`);
  }
}

/** RabbitMQ's upper bound for a per-message TTL (rabbit_misc:check_expiry). */
const MAX_EXPIRATION = 4294967295;

/**
 * What is wrong with an `expiration` property, in RabbitMQ's terms (basic.publish is refused with
 * "invalid expiration '<s>': <term>"), or undefined when it is a valid TTL in ms. RabbitMQ reads it
 * as Erlang's string:to_integer does: an optional sign, digits, nothing after them.
 */
export function expirationProblem(s: string): string | undefined {
  const m = /^([+-]?[0-9]+)(.*)$/s.exec(s);
  if (m === null) return 'no_integer';
  if (m[2] !== '') return `{leftover_string,${JSON.stringify(m[2])}}`;
  const n = Number(m[1]);
  if (n < 0) return `{value_negative,${m[1]}}`;
  if (n > MAX_EXPIRATION) return `{value_too_large,${m[1]}}`;
  return undefined;
}

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

/**
 * Everything a queue's features read from its settings, resolved once from its (validated) arguments
 * and the policy and operator policy that apply to it (RabbitMQ's precedence: a queue argument wins
 * over the policy; between the policy and the operator policy, the stricter number wins). Recomputed
 * whenever a policy changes (Queue.applyPolicy), so features read these fields, never arguments.
 */
export interface QueueLimits {
  maxLength: number;
  maxLengthBytes: number;
  overflow: Overflow;
  /** x-message-ttl / message-ttl in ms; undefined: none */
  messageTtl: number | undefined;
  /** x-expires / expires in ms; undefined: none */
  expires: number | undefined;
  /** x-dead-letter-exchange / dead-letter-exchange; undefined: no dead-lettering */
  deadLetterExchange: string | undefined;
  deadLetterRoutingKey: string | undefined;
  /** x-max-priority (arguments only, as in RabbitMQ); 0: not a priority queue */
  maxPriority: number;
  /** x-single-active-consumer (arguments only) */
  singleActiveConsumer: boolean;
  /** x-consumer-timeout in ms (arguments, or consumer-timeout in a policy); undefined: the broker's consumer_timeout */
  consumerTimeout: number | undefined;
}

/** A policy definition as stored (keys without the x- prefix, JSON values). */
export type PolicyDefinition = Record<string, unknown>;

/** Keys an operator policy may set (RabbitMQ 3.10), and which of two values is the stricter. */
export const OPERATOR_POLICY_KEYS = ['expires', 'message-ttl', 'max-length', 'max-length-bytes', 'max-in-memory-length', 'max-in-memory-bytes', 'delivery-limit', 'overflow'] as const;

export function queueLimits(args: FieldTable, policy?: PolicyDefinition, operator?: PolicyDefinition): QueueLimits {
  const num = (argKey: string, policyKey: string): number | undefined => {
    const a = numericValue(args[argKey]);
    const p = policy !== undefined && typeof policy[policyKey] === 'number' ? (policy[policyKey] as number) : undefined;
    const o = operator !== undefined && typeof operator[policyKey] === 'number' ? (operator[policyKey] as number) : undefined;
    const chosen = a ?? p;
    if (o === undefined) return chosen;
    return chosen === undefined ? o : Math.min(chosen, o);
  };
  const str = (argKey: string, policyKey: string): string | undefined => {
    const a = args[argKey];
    if (typeof a === 'string') return a;
    if (Buffer.isBuffer(a)) return a.toString('utf8');
    const p = policy?.[policyKey];
    return typeof p === 'string' ? p : undefined;
  };
  const o = str('x-overflow', 'overflow') ?? (typeof operator?.overflow === 'string' ? operator.overflow : undefined);
  const sac = args['x-single-active-consumer'];
  return {
    maxLength: num('x-max-length', 'max-length') ?? Number.POSITIVE_INFINITY,
    maxLengthBytes: num('x-max-length-bytes', 'max-length-bytes') ?? Number.POSITIVE_INFINITY,
    overflow: o === 'reject-publish' || o === 'reject-publish-dlx' ? o : 'drop-head',
    messageTtl: num('x-message-ttl', 'message-ttl'),
    expires: num('x-expires', 'expires'),
    deadLetterExchange: str('x-dead-letter-exchange', 'dead-letter-exchange'),
    deadLetterRoutingKey: str('x-dead-letter-routing-key', 'dead-letter-routing-key'),
    maxPriority: numericValue(args['x-max-priority']) ?? 0,
    singleActiveConsumer: sac === true,
    consumerTimeout: num('x-consumer-timeout', 'consumer-timeout'),
  };
}
