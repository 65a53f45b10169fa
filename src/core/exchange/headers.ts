// Headers exchange: bindings match on the message's headers table, per the binding's x-match:
//   all (default) / any — compare every binding argument not starting with "x-";
//   all-with-x / any-with-x — compare "x-" arguments too (RabbitMQ 3.10).
// A binding argument of type void matches on presence alone, as in RabbitMQ.
import { preconditionFailed } from '../../errors.js';
import { type FieldTable, type FieldValue, isTypedValue, numericValue } from '../../protocol/field-value.js';
import { typeName } from '../arguments.js';
import type { Message } from '../message.js';
import { type Binding, canonicalTable, type Destination, Exchange } from './exchange.js';

interface Matcher {
  readonly binding: Binding;
  readonly any: boolean;
  readonly pairs: [string, FieldValue][];
}

const MODES = new Set(['all', 'any', 'all-with-x', 'any-with-x']);

function normalized(v: FieldValue): string {
  if (v !== null && typeof v === 'object' && isTypedValue(v)) {
    return v.type === 'D' ? `D${v.value.scale}:${v.value.value}` : canonicalTable({ v: Number(v.value) });
  }
  if (typeof v === 'bigint') return canonicalTable({ v: Number(v) });
  return canonicalTable({ v });
}

export class HeadersExchange extends Exchange {
  readonly type = 'headers';
  private readonly matchers: Matcher[] = [];

  override validateBinding(_routingKey: string, args: FieldTable): void {
    const mode = args['x-match'];
    if (mode === undefined) return;
    if (typeof mode !== 'string') {
      throw preconditionFailed(`Invalid x-match field type ${typeName(mode)} (value ${numericValue(mode) ?? JSON.stringify(mode)}); expected longstr`);
    }
    if (!MODES.has(mode)) throw preconditionFailed(`Invalid x-match field value <<"${mode}">>; expected all, any, all-with-x, or any-with-x`);
  }

  collect(_routingKey: string, msg: Message, out: Destination[]): void {
    if (this.matchers.length === 0) return;
    const headers = msg.headers ?? {};
    for (const m of this.matchers) if (matches(m, headers)) out.push(m.binding.destination);
  }

  protected added(b: Binding): void {
    const mode = typeof b.arguments['x-match'] === 'string' ? b.arguments['x-match'] : 'all';
    const withX = mode.endsWith('-with-x');
    const pairs: [string, FieldValue][] = [];
    for (const k of Object.keys(b.arguments)) {
      if (k === 'x-match') continue;
      if (!withX && k.startsWith('x-')) continue;
      pairs.push([k, b.arguments[k] as FieldValue]);
    }
    this.matchers.push({ binding: b, any: mode.startsWith('any'), pairs });
  }

  protected removed(b: Binding): void {
    const i = this.matchers.findIndex((m) => m.binding === b);
    if (i >= 0) this.matchers.splice(i, 1);
  }
}

function matches(m: Matcher, headers: FieldTable): boolean {
  if (m.any) {
    for (const [k, v] of m.pairs) if (pairMatches(k, v, headers)) return true;
    return false;
  }
  for (const [k, v] of m.pairs) if (!pairMatches(k, v, headers)) return false;
  return true;
}

function pairMatches(k: string, v: FieldValue, headers: FieldTable): boolean {
  if (!(k in headers)) return false;
  if (v === null) return true; // void in the binding: presence is enough
  return normalized(v) === normalized(headers[k] as FieldValue);
}
