// Policies and operator policies: validation (RabbitMQ 3.10's keys, value checks and reason texts),
// storage per vhost, matching (the highest-priority policy whose pattern matches a queue's or an
// exchange's name) and application to the objects of a vhost. What a policy key *does* lives with
// the feature (queueLimits for queues, Exchange.policyAlternateExchange for exchanges); this file
// only decides which definition is in force.
import { type OPERATOR_POLICY_KEYS, type PolicyDefinition } from './arguments.js';
import type { Exchange } from './exchange/exchange.js';
import type { Queue } from './queue/queue.js';
import type { VHost } from './vhost.js';

export type ApplyTo = 'queues' | 'exchanges' | 'all';

export interface Policy {
  vhost: string;
  name: string;
  pattern: string;
  applyTo: ApplyTo;
  definition: PolicyDefinition;
  priority: number;
  /** the compiled pattern (unanchored, as RabbitMQ's re:run) */
  regex: RegExp;
}

/** A refused policy; `reason` is RabbitMQ's text ("Validation failed\n\n... \n" or "[{key_missing,pattern}]"). */
export class PolicyError extends Error {}

/** An Erlang-style rendering of a JSON value, as RabbitMQ's error texts show it (<<"x">> for strings). */
export function erlangTerm(v: unknown): string {
  if (typeof v === 'string') return `<<"${v}">>`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(erlangTerm).join(',')}]`;
  if (typeof v === 'object') {
    return `[${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `{${erlangTerm(k)},${erlangTerm(x)}}`)
      .join(',')}]`;
  }
  return String(v);
}

const invalid = (text: string): PolicyError => new PolicyError(`Validation failed\n\n${text}\n`);

type KeyCheck = (v: unknown) => boolean;
const isInt = (min: number): KeyCheck => (v) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isString: KeyCheck = (v) => typeof v === 'string';
const oneOf =
  (...values: string[]): KeyCheck =>
  (v) =>
    typeof v === 'string' && values.includes(v);
const anything: KeyCheck = () => true;

/** Policy keys RabbitMQ 3.10 (classic queues, mirroring, federation) recognises, with the check and its failure text. */
const POLICY_KEYS: Record<string, [KeyCheck, string]> = {
  'alternate-exchange': [isString, 'is not a valid alternate exchange name'],
  'dead-letter-exchange': [isString, 'is not a valid dead letter exchange name'],
  'dead-letter-routing-key': [isString, 'is not a valid dead letter routing key'],
  'message-ttl': [isInt(0), 'is not a valid message TTL'],
  expires: [isInt(1), 'is not a valid queue expiry'],
  'max-length': [isInt(0), 'is not a valid maximum length'],
  'max-length-bytes': [isInt(0), 'is not a valid maximum length in bytes'],
  'max-in-memory-length': [isInt(0), 'is not a valid maximum memory in length'],
  'max-in-memory-bytes': [isInt(0), 'is not a valid maximum memory in bytes'],
  'delivery-limit': [isInt(0), 'is not a valid delivery limit'],
  overflow: [oneOf('drop-head', 'reject-publish', 'reject-publish-dlx'), 'is not a valid overflow value'],
  'queue-mode': [oneOf('default', 'lazy'), 'is not a valid queue-mode value'],
  'queue-master-locator': [oneOf('min-masters', 'client-local', 'random'), 'is not a valid queue-master-locator value'],
  'queue-leader-locator': [oneOf('client-local', 'balanced'), 'is not a valid queue leader locator value'],
  // accepted and kept (Warren has no mirroring or federation), so RabbitMQ definitions import unchanged
  'ha-mode': [anything, ''],
  'ha-params': [anything, ''],
  'ha-sync-mode': [anything, ''],
  'ha-sync-batch-size': [anything, ''],
  'ha-promote-on-shutdown': [anything, ''],
  'ha-promote-on-failure': [anything, ''],
  'federation-upstream': [anything, ''],
  'federation-upstream-set': [anything, ''],
  'initial-cluster-size': [anything, ''],
  'max-age': [anything, ''],
  'stream-max-segment-size-bytes': [anything, ''],
};

/** The keys an operator policy may set in RabbitMQ 3.10 (overflow is not one of them). */
const OPERATOR_KEYS: ReadonlySet<string> = new Set<(typeof OPERATOR_POLICY_KEYS)[number]>([
  'expires',
  'message-ttl',
  'max-length',
  'max-length-bytes',
  'max-in-memory-length',
  'max-in-memory-bytes',
  'delivery-limit',
]);

export interface PolicyInput {
  pattern?: unknown;
  definition?: unknown;
  priority?: unknown;
  applyTo?: unknown;
}

/** Checks a policy as RabbitMQ's set_policy does; returns it ready to store, or throws PolicyError. */
export function validatePolicy(operator: boolean, vhost: string, name: string, input: PolicyInput): Policy {
  if (input.pattern === undefined) throw new PolicyError('[{key_missing,pattern}]');
  if (input.definition === undefined) throw new PolicyError('[{key_missing,definition}]');
  if (typeof input.pattern !== 'string') throw invalid(`pattern should be a string, actually was ${erlangTerm(input.pattern)}`);
  const priority = input.priority ?? 0;
  // rabbit_parameter_validation:number: integers and floats alike
  if (typeof priority !== 'number' || !Number.isFinite(priority)) throw invalid(`priority should be a number, actually was ${erlangTerm(priority)}`);
  const applyTo = input.applyTo ?? 'all';
  if (applyTo !== 'queues' && applyTo !== 'exchanges' && applyTo !== 'all') {
    throw invalid(`apply-to '${String(applyTo)}' unrecognised; should be 'queues', 'exchanges' or 'all'`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(input.pattern);
  } catch (e) {
    throw invalid(`pattern should be regular expression but is invalid: ${(e as Error).message}`);
  }
  const def = input.definition;
  if (typeof def !== 'object' || def === null || Array.isArray(def)) throw invalid(`definition should be a JSON object, actually was ${erlangTerm(def)}`);
  const definition = def as PolicyDefinition;
  if (Object.keys(definition).length === 0) throw invalid('no policy provided');
  const unknown = Object.entries(definition).filter(([k]) => (operator ? !OPERATOR_KEYS.has(k) : POLICY_KEYS[k] === undefined));
  if (unknown.length > 0) throw invalid(`${erlangTerm(Object.fromEntries(unknown))} are not recognised policy settings`);
  for (const [k, v] of Object.entries(definition)) {
    const [check, text] = POLICY_KEYS[k] as [KeyCheck, string];
    if (!check(v)) throw invalid(`${erlangTerm(v)} ${text}`);
  }
  return { vhost, name, pattern: input.pattern, applyTo, definition: { ...definition }, priority, regex };
}

/** The JSON form of a policy (HTTP API and definitions files). */
export function policyJson(p: Policy): Record<string, unknown> {
  return { vhost: p.vhost, name: p.name, pattern: p.pattern, 'apply-to': p.applyTo, definition: p.definition, priority: p.priority };
}

/** One kind of policy (policies, or operator policies) of every vhost. */
export class PolicyStore {
  private readonly byVhost = new Map<string, Map<string, Policy>>();

  constructor(readonly operator: boolean) {}

  get(vhost: string, name: string): Policy | undefined {
    return this.byVhost.get(vhost)?.get(name);
  }

  /** Adds or replaces; returns whether it is new. */
  set(p: Policy): boolean {
    let m = this.byVhost.get(p.vhost);
    if (m === undefined) this.byVhost.set(p.vhost, (m = new Map()));
    const isNew = !m.has(p.name);
    m.set(p.name, p);
    return isNew;
  }

  delete(vhost: string, name: string): boolean {
    return this.byVhost.get(vhost)?.delete(name) ?? false;
  }

  forgetVhost(vhost: string): void {
    this.byVhost.delete(vhost);
  }

  clear(): void {
    this.byVhost.clear();
  }

  /** Every policy (or one vhost's), in vhost then name order. */
  list(vhost?: string): Policy[] {
    const out: Policy[] = [];
    for (const [v, m] of this.byVhost) if (vhost === undefined || v === vhost) out.push(...m.values());
    return out.sort((a, b) => (a.vhost < b.vhost ? -1 : a.vhost > b.vhost ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The policy in force for a queue or exchange: of those whose apply-to covers the kind and whose
   * pattern matches the name, the highest priority; between equal priorities, the first by name
   * (RabbitMQ leaves the tie to its table order; we make it deterministic).
   */
  match(vhost: string, kind: 'queue' | 'exchange', name: string): Policy | undefined {
    const m = this.byVhost.get(vhost);
    if (m === undefined) return undefined;
    let best: Policy | undefined;
    for (const p of m.values()) {
      if (p.applyTo !== 'all' && p.applyTo !== (kind === 'queue' ? 'queues' : 'exchanges')) continue;
      p.regex.lastIndex = 0;
      if (!p.regex.test(name)) continue;
      if (best === undefined || p.priority > best.priority || (p.priority === best.priority && p.name < best.name)) best = p;
    }
    return best;
  }
}

/** The policy objects in force on each queue (the Queue keeps only the names and the resolved limits). */
const inForce = new WeakMap<Queue, { policy: Policy | undefined; operator: Policy | undefined }>();

/** The policy and operator policy in force on a queue (management API). */
export function queuePolicies(q: Queue): { policy: Policy | undefined; operator: Policy | undefined } {
  return inForce.get(q) ?? { policy: undefined, operator: undefined };
}

/** Puts the matching policy and operator policy in force on one queue. */
export function applyToQueue(q: Queue, policies: PolicyStore, operatorPolicies: PolicyStore): void {
  const policy = policies.match(q.vhost, 'queue', q.name);
  const operator = operatorPolicies.match(q.vhost, 'queue', q.name);
  const was = inForce.get(q);
  // nothing changed for this queue (a policy change elsewhere in the vhost): keep its state and timers
  if ((was?.policy ?? undefined) === policy && (was?.operator ?? undefined) === operator) return;
  inForce.set(q, { policy, operator });
  q.applyPolicy(policy?.name, policy?.definition, operator?.name, operator?.definition);
}

/** Puts the matching policy in force on one exchange (only alternate-exchange acts on exchanges). */
export function applyToExchange(e: Exchange, policies: PolicyStore): void {
  if (e.name === '') return; // the default exchange takes no policy
  const p = policies.match(e.vhost, 'exchange', e.name);
  e.policyName = p?.name;
  e.policyDefinition = p?.definition;
  const ae = p?.definition['alternate-exchange'];
  e.policyAlternateExchange = typeof ae === 'string' ? ae : undefined;
}

/** Re-evaluates every queue and exchange of a vhost (after a policy was set or cleared). */
export function applyToVhost(v: VHost, policies: PolicyStore, operatorPolicies: PolicyStore): void {
  for (const q of v.queues.values()) applyToQueue(q, policies, operatorPolicies);
  for (const e of v.exchanges.values()) applyToExchange(e, policies);
}

/**
 * The definition a queue works with, as the management API's effective_policy_definition: the
 * policy's keys, with an operator policy's number winning where it is stricter (or the only one).
 */
export function effectiveDefinition(policy: PolicyDefinition | undefined, operator: PolicyDefinition | undefined): PolicyDefinition {
  const out: PolicyDefinition = { ...(policy ?? {}) };
  for (const [k, v] of Object.entries(operator ?? {})) {
    const mine = out[k];
    out[k] = typeof mine === 'number' && typeof v === 'number' ? Math.min(mine, v) : v;
  }
  return out;
}
