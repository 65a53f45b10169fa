// How rabbitmqctl prints values, tables and JSON, applied to the JSON the management API returns.
// Table cells follow rabbitmqctl's info-item formatting: strings bare, booleans and numbers as
// written, lists as "[a, b]", AMQP tables (arguments, client properties) as the Erlang term
// "[{"key",value}]", missing values as an empty cell.

/**
 * An AMQP field table (queue arguments, client properties). rabbitmqctl prints it as an Erlang
 * term in tables and, in JSON, as [name, type, value] triples; the management API gives plain JSON,
 * so the AMQP types are inferred from the values.
 */
export class AmqpTable {
  constructor(readonly fields: Readonly<Record<string, unknown>>) {}

  /** JSON.stringify uses this: rabbitmqctl's [[name, type, value], …]. */
  toJSON(): unknown[] {
    return Object.entries(this.fields).map(([k, v]) => [k, amqpType(v), typedValue(v)]);
  }
}

function amqpType(v: unknown): string {
  if (typeof v === 'string') return 'longstr';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'double';
  if (Array.isArray(v)) return 'array';
  if (isPlainObject(v)) return 'table';
  return 'void';
}

function typedValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((e) => [amqpType(e), typedValue(e)]);
  if (isPlainObject(v)) return new AmqpTable(v).toJSON();
  return v ?? null;
}

/**
 * A node → state map (list_vhosts cluster_state), which rabbitmqctl prints as a list of
 * {node, state} pairs of atoms: "[{rabbit@host, running}]".
 */
export class NodeStates {
  constructor(readonly states: Readonly<Record<string, unknown>>) {}

  toJSON(): Readonly<Record<string, unknown>> {
    return this.states;
  }
}

/** A float rabbitmqctl prints the Erlang way: 1 → "1.0" (consumer_utilisation). */
export class ErlangFloat {
  constructor(readonly value: number) {}

  toJSON(): number {
    return this.value;
  }
}

/** One table cell. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof AmqpTable) return Object.keys(value.fields).length === 0 ? '[]' : erlangTerm(value.fields);
  if (value instanceof NodeStates) {
    return `[${Object.entries(value.states)
      .map(([node, state]) => `{${node}, ${cell(state)}}`)
      .join(', ')}]`;
  }
  if (value instanceof ErlangFloat) return Number.isInteger(value.value) ? value.value.toFixed(1) : String(value.value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => (isPlainObject(v) ? erlangTerm(v) : cell(v))).join(', ')}]`;
  }
  if (isPlainObject(value)) return erlangTerm(value);
  return String(value);
}

/**
 * A value as Erlang's ~p prints it, the way rabbitmqctl shows argument tables: an object becomes
 * a list of {"key",value} tuples, strings are double-quoted, nothing is separated by spaces.
 */
export function erlangTerm(value: unknown): string {
  if (value === null || value === undefined) return 'undefined';
  if (typeof value === 'string') return erlangString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(erlangTerm).join(',')}]`;
  if (isPlainObject(value)) {
    return `[${Object.entries(value)
      .map(([k, v]) => `{${erlangString(k)},${erlangTerm(v)}}`)
      .join(',')}]`;
  }
  return String(value);
}

function erlangString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

export type Row = Record<string, unknown>;

/** Tab-separated lines: a header row of column names (unless `headers` is false), then one line per item. */
export function tableLines(columns: readonly string[], rows: readonly Row[], headers: boolean): string[] {
  const lines = headers ? [columns.join('\t')] : [];
  for (const row of rows) lines.push(columns.map((c) => cell(row[c])).join('\t'));
  return lines;
}

/**
 * rabbitmqctl's JSON for a list: "[" and "]" on lines of their own, one object per line, each
 * after the first preceded by a comma. Keys keep the order of the requested columns.
 */
export function jsonListLines(columns: readonly string[], rows: readonly Row[]): string[] {
  const lines = ['['];
  rows.forEach((row, i) => {
    const obj: Row = {};
    for (const c of columns) obj[c] = row[c] ?? '';
    lines.push((i === 0 ? '' : ',') + JSON.stringify(obj));
  });
  lines.push(']');
  return lines;
}

/** JSON with its keys sorted, as rabbitmqctl prints single-object results. */
export function sortedJson(obj: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}
