// Declare arguments that name another exchange (a queue's x-dead-letter-exchange, an exchange's
// alternate-exchange). RabbitMQ reads them with rabbit_misc:r_arg when the queue or exchange is
// created: the value must be a longstr, and the declaring user needs write access to the named
// exchange and read access to the thing being declared.
import { preconditionFailed, rname } from '../../errors.js';
import { type FieldTable, type FieldValue, isFieldTable, isTypedValue } from '../../protocol/field-value.js';

/** RabbitMQ's (Erlang) name for a field value's AMQP type, as its error texts print it. */
export function amqpTypeName(v: FieldValue): string {
  if (typeof v === 'string') return 'longstr';
  if (Buffer.isBuffer(v)) return 'binary';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'long';
  if (typeof v === 'number') return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff ? 'signedint' : 'double';
  if (v === null) return 'void';
  if (Array.isArray(v)) return 'array';
  if (isTypedValue(v)) {
    const names = { b: 'byte', B: 'unsignedbyte', s: 'short', u: 'unsignedshort', i: 'unsignedint', I: 'signedint', f: 'float', d: 'double', l: 'long', T: 'timestamp', D: 'decimal' } as const;
    return names[v.type];
  }
  return isFieldTable(v) ? 'table' : 'unknown';
}

/**
 * The exchange named by argument `key`, or undefined when the argument is absent; a value of
 * another type than longstr is refused with 406 in RabbitMQ's words.
 */
export function exchangeArgument(args: FieldTable, key: string, owner: 'queue' | 'exchange', ownerName: string, vhost: string): string | undefined {
  if (!Object.hasOwn(args, key)) return undefined;
  const v = args[key] as FieldValue;
  if (typeof v === 'string') return v;
  throw preconditionFailed(`invalid type '${amqpTypeName(v)}' for arg '${key}' in ${rname(owner, ownerName, vhost)}`);
}
