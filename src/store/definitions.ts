// Definitions (users, vhosts, permissions, durable exchanges, queues and bindings) in RabbitMQ's
// definitions JSON format, so `rabbitmqctl export_definitions`-style files and ours are the same
// shape. Field tables become plain JSON values (typed numbers lose their wire width, as in RabbitMQ).
import { type FieldTable, type FieldValue, isTypedValue } from '../protocol/field-value.js';

export interface DefinitionsFile {
  rabbit_version?: string;
  rabbitmq_version?: string;
  product_name?: string;
  product_version?: string;
  users?: { name: string; password_hash: string; hashing_algorithm?: string; tags: string | string[]; limits?: object }[];
  vhosts?: { name: string; limits?: unknown[]; metadata?: object }[];
  permissions?: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions?: unknown[];
  parameters?: unknown[];
  global_parameters?: unknown[];
  policies?: unknown[];
  /** Warren keeps operator policies here too (RabbitMQ 3.10's export leaves them out) */
  operator_policies?: unknown[];
  queues?: { name: string; vhost: string; durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> }[];
  exchanges?: { name: string; vhost: string; type: string; durable: boolean; auto_delete: boolean; internal: boolean; arguments: Record<string, unknown> }[];
  bindings?: { source: string; vhost: string; destination: string; destination_type: 'queue' | 'exchange'; routing_key: string; arguments: Record<string, unknown> }[];
}

/** A field table as JSON (what RabbitMQ's management API and definitions show). */
export function tableToJson(t: FieldTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) out[k] = valueToJson(v);
  return out;
}

export function valueToJson(v: FieldValue): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(valueToJson);
  if (isTypedValue(v)) return v.type === 'D' ? v.value.value / 10 ** v.value.scale : Number(v.value);
  return tableToJson(v);
}

/** JSON back into a field table: integers become I (or l when large), other numbers d. */
export function jsonToTable(o: Record<string, unknown> | undefined): FieldTable {
  const out: FieldTable = {};
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) {
    const fv = jsonToValue(v);
    if (fv !== undefined) out[k] = fv;
  }
  return out;
}

function jsonToValue(v: unknown): FieldValue | undefined {
  if (v === null) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (Number.isInteger(v) && (v > 0x7fffffff || v < -0x80000000)) return BigInt(v);
    return v;
  }
  if (Array.isArray(v)) return v.map(jsonToValue).filter((x): x is FieldValue => x !== undefined);
  if (typeof v === 'object') return jsonToTable(v as Record<string, unknown>);
  return undefined;
}
