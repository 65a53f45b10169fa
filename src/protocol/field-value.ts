// Field values as AMQP 0-9-1 (RabbitMQ's dialect) carries them in tables and arrays.
// Owns the JS representation only; the byte encoding lives in byte-reader.ts / byte-writer.ts.
//
// The mapping is chosen so that decode(encode(v)) and encode(decode(bytes)) are both exact:
//   S longstr  <-> string          t boolean <-> boolean     I int32  <-> integer number in int32 range
//   d double   <-> other number     l int64   <-> bigint      x bytes  <-> Buffer
//   V void     <-> null             A array   <-> array       F table  <-> plain object
// Every other type (b B s u i f D T, and d/I/l values the defaults would re-type) is a TypedValue,
// so a header such as RabbitMQ's x-death `count` (type l) keeps its wire type through the broker.

export type FieldType = 't' | 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'l' | 'f' | 'd' | 'D' | 'S' | 'x' | 'A' | 'T' | 'F' | 'V';

export interface Decimal {
  scale: number;
  value: number;
}

export type TypedValue =
  | { type: 'b' | 'B' | 's' | 'u' | 'i' | 'I' | 'f' | 'd'; value: number }
  | { type: 'l'; value: bigint }
  | { type: 'T'; value: number }
  | { type: 'D'; value: Decimal };

export type FieldValue = string | boolean | number | bigint | Buffer | null | FieldValue[] | FieldTable | TypedValue;

export interface FieldTable {
  [key: string]: FieldValue;
}

const TYPED_TAGS = new Set(['b', 'B', 's', 'u', 'i', 'I', 'f', 'd', 'l', 'T', 'D']);

export function isTypedValue(v: FieldValue): v is TypedValue {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 2 && 'type' in v && 'value' in v && typeof v.type === 'string' && TYPED_TAGS.has(v.type);
}

export function isFieldTable(v: FieldValue | undefined): v is FieldTable {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && !isTypedValue(v);
}

/** The numeric value of any integer or float field, or undefined if it is not a number. */
export function numericValue(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && v !== undefined && isTypedValue(v)) {
    if (v.type === 'D') return v.value.value / 10 ** v.value.scale;
    return Number(v.value);
  }
  return undefined;
}

/** True for the integer wire types RabbitMQ accepts where an argument must be an integer. */
export function isIntegerValue(v: FieldValue | undefined): boolean {
  if (typeof v === 'number') return Number.isInteger(v);
  if (typeof v === 'bigint') return true;
  if (v !== null && v !== undefined && isTypedValue(v)) return 'bBsuiIlT'.includes(v.type) || (v.type === 'd' && Number.isInteger(v.value));
  return false;
}

/** A string value (S or x), or undefined. */
export function stringValue(v: FieldValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}
