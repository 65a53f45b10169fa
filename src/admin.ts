// Administration: users, vhosts and permissions, as the management HTTP API and warrenctl use
// them, with RabbitMQ's side effects (deleting a user or a vhost closes its connections). Every
// change that must survive a restart goes through Broker.definitionsChanged(), so it is written
// with the store's next commit. Errors carry a kind the callers map to their own vocabulary
// (HTTP status, rabbitmqctl exit code).
//
// Also kept here, so that nothing of a definitions file is lost: vhost metadata (description,
// tags, default queue type), and the runtime parameters Warren does not act on yet, which are
// written back on export exactly as they were imported. Policies and operator policies are real:
// they are validated, stored here, and put in force on the vhost's queues and exchanges at once.
import type { Broker } from './broker.js';
import { DefinitionsError, objects } from './auth/definitions.js';
import { validPattern } from './auth/permissions.js';
import { DEFAULT_HASHING, type HashingAlgorithm, hashPassword, type Permission, type TopicPermission, type User } from './auth/users.js';
import type { VHost } from './core/vhost.js';
import { applyToVhost, type Policy, PolicyError, type PolicyInput, policyJson, PolicyStore, validatePolicy } from './core/policies.js';

export type AdminErrorKind = 'not_found' | 'exists' | 'bad_request';

export class AdminError extends Error {
  constructor(
    readonly kind: AdminErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The tags RabbitMQ gives a meaning to; others are kept and shown but grant nothing. */
export const KNOWN_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'] as const;

export interface UserUpdate {
  /** a new password (hashed with a fresh salt) */
  password?: string;
  /** a ready hash (base64 salt ‖ digest); '' clears the password (no password login) */
  passwordHash?: string;
  /** the algorithm of passwordHash (default rabbit_password_hashing_sha256) */
  hashingAlgorithm?: HashingAlgorithm;
  tags?: string[];
}

export interface PermissionEntry extends Permission {
  user: string;
  vhost: string;
}

export interface TopicPermissionEntry extends TopicPermission {
  user: string;
  vhost: string;
}

/** What RabbitMQ keeps about a vhost besides its name (its definitions "metadata"). */
export interface VhostMetadata {
  description?: string;
  tags?: string[];
  default_queue_type?: string;
  [key: string]: unknown;
}

/** A policy or runtime parameter entry of a definitions file, kept as it came. */
export type OpaqueEntry = Record<string, unknown>;

/** Tags as RabbitMQ stores them: trimmed, no empty ones, each once. */
export function normalizeTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    const tag = t.trim();
    if (tag !== '' && !out.includes(tag)) out.push(tag);
  }
  return out;
}

export class Admin {
  /** vhost name → metadata */
  private readonly vhostMeta = new Map<string, VhostMetadata>();
  /** policies (definitions "policies") of every vhost, in force on queues and exchanges */
  readonly policies = new PolicyStore(false);
  /** operator policies (definitions "operator_policies"): limits users cannot loosen */
  readonly operatorPolicies = new PolicyStore(true);
  /** vhost-scoped runtime parameters (definitions "parameters"), kept */
  parameters: OpaqueEntry[] = [];
  /** global runtime parameters (definitions "global_parameters"), kept */
  globalParameters: OpaqueEntry[] = [];

  constructor(private readonly broker: Broker) {}

  // --- users ----------------------------------------------------------------------------------

  users(): User[] {
    return [...this.broker.users.users.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  user(name: string): User {
    const u = this.broker.users.users.get(name);
    if (!u) throw new AdminError('not_found', `user '${name}' does not exist`);
    return u;
  }

  /** rabbitmqctl add_user: fails when the user exists. */
  addUser(name: string, password: string, tags: string[] = []): User {
    if (name === '') throw new AdminError('bad_request', 'user name must not be empty');
    if (this.broker.users.users.has(name)) throw new AdminError('exists', `user '${name}' already exists`);
    const u = this.broker.users.add(name, password, normalizeTags(tags));
    this.broker.log.info({ user: name }, `created user '${name}'`);
    this.broker.definitionsChanged();
    return u;
  }

  /** HTTP PUT /api/users/{name}: creates or updates; returns whether it was created. */
  putUser(name: string, update: UserUpdate): boolean {
    if (name === '') throw new AdminError('bad_request', 'user name must not be empty');
    if (update.password !== undefined && update.passwordHash !== undefined) {
      throw new AdminError('bad_request', 'both password and password_hash are provided');
    }
    let u = this.broker.users.users.get(name);
    const created = u === undefined;
    if (u === undefined) {
      if (update.password === undefined && update.passwordHash === undefined) {
        throw new AdminError('bad_request', 'password or password_hash must be set');
      }
      u = { name, passwordHash: '', hashingAlgorithm: DEFAULT_HASHING, tags: [], permissions: new Map() };
      this.broker.users.users.set(name, u);
    }
    if (update.password !== undefined) {
      u.passwordHash = hashPassword(update.password);
      u.hashingAlgorithm = DEFAULT_HASHING;
    } else if (update.passwordHash !== undefined) {
      u.passwordHash = update.passwordHash;
      u.hashingAlgorithm = update.hashingAlgorithm ?? DEFAULT_HASHING;
    }
    if (update.tags !== undefined) u.tags = normalizeTags(update.tags);
    this.broker.definitionsChanged();
    return created;
  }

  /** Deletes a user and its permissions; its open connections are closed (320), as in RabbitMQ. */
  deleteUser(name: string): void {
    this.user(name);
    this.broker.users.users.delete(name);
    this.broker.log.info({ user: name }, `deleted user '${name}': closing its connections`);
    for (const c of [...this.broker.connections]) if (c.username === name) c.closeForced(`user '${name}' is deleted`);
    this.broker.definitionsChanged();
  }

  /** Changes the password; open connections stay (RabbitMQ checks the password only at login). */
  changePassword(name: string, password: string): void {
    const u = this.user(name);
    u.passwordHash = hashPassword(password);
    u.hashingAlgorithm = DEFAULT_HASHING;
    this.broker.definitionsChanged();
  }

  /** rabbitmqctl clear_password: the user can no longer log in with a password. */
  clearPassword(name: string): void {
    this.user(name).passwordHash = '';
    this.broker.definitionsChanged();
  }

  /** New tags apply to new connections; open ones keep the tags they logged in with. */
  setUserTags(name: string, tags: string[]): void {
    this.user(name).tags = normalizeTags(tags);
    this.broker.definitionsChanged();
  }

  /** The user when name and password match (rabbitmqctl authenticate_user, HTTP basic auth). */
  authenticate(name: string, password: string): User | undefined {
    return this.broker.users.authenticate(name, password);
  }

  // --- vhosts ---------------------------------------------------------------------------------

  vhosts(): VHost[] {
    return [...this.broker.vhosts.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  vhost(name: string): VHost {
    const v = this.broker.vhosts.get(name);
    if (!v) throw new AdminError('not_found', `vhost '${name}' does not exist`);
    return v;
  }

  /** rabbitmqctl add_vhost: fails when it exists (HTTP PUT uses ensureVhost). */
  addVhost(name: string, metadata?: VhostMetadata): VHost {
    if (this.broker.vhosts.has(name)) throw new AdminError('exists', `vhost '${name}' already exists`);
    return this.ensureVhost(name, metadata);
  }

  /** Creates the vhost if needed; given metadata replaces what the vhost had. */
  ensureVhost(name: string, metadata?: VhostMetadata): VHost {
    if (name === '') throw new AdminError('bad_request', 'vhost name must not be empty');
    const v = this.broker.addVhost(name);
    if (metadata !== undefined) {
      this.vhostMeta.set(name, { ...metadata });
      this.broker.definitionsChanged();
    }
    return v;
  }

  /** The vhost's description, tags and default queue type ({} when none were given). */
  vhostMetadata(name: string): VhostMetadata {
    return this.vhostMeta.get(name) ?? {};
  }

  /** Deletes a vhost: its connections are closed (320), its queues (and their messages), exchanges, permissions and policies go. */
  deleteVhost(name: string): void {
    this.vhost(name);
    this.broker.deleteVhost(name);
  }

  /** Called by Broker.deleteVhost: forgets what this module kept about the vhost. */
  forgetVhost(name: string): void {
    this.vhostMeta.delete(name);
    this.policies.forgetVhost(name);
    this.operatorPolicies.forgetVhost(name);
    this.parameters = this.parameters.filter((p) => p.vhost !== name);
  }

  // --- permissions ----------------------------------------------------------------------------

  /** rabbitmqctl set_permissions; applies at once to new checks on open connections (see PermissionCache). */
  setPermissions(user: string, vhost: string, p: Permission): void {
    const u = this.user(user);
    this.vhost(vhost);
    for (const k of ['configure', 'write', 'read'] as const) {
      if (!validPattern(p[k])) throw new AdminError('bad_request', `invalid ${k} regex '${p[k]}'`);
    }
    u.permissions.set(vhost, { configure: p.configure, write: p.write, read: p.read });
    this.broker.definitionsChanged();
  }

  /** rabbitmqctl clear_permissions: open connections stay open, as in RabbitMQ, but new checks fail. */
  clearPermissions(user: string, vhost: string): void {
    const u = this.user(user);
    this.vhost(vhost);
    if (u.permissions.delete(vhost)) this.broker.definitionsChanged();
  }

  /** Permissions of every user on every vhost, optionally one vhost's or one user's. */
  permissions(filter: { vhost?: string; user?: string } = {}): PermissionEntry[] {
    const out: PermissionEntry[] = [];
    for (const u of this.users()) {
      if (filter.user !== undefined && u.name !== filter.user) continue;
      for (const [vhost, p] of u.permissions) {
        if (filter.vhost !== undefined && vhost !== filter.vhost) continue;
        out.push({ user: u.name, vhost, configure: p.configure, write: p.write, read: p.read });
      }
    }
    return out.sort((a, b) => a.vhost.localeCompare(b.vhost) || a.user.localeCompare(b.user));
  }

  /** rabbitmqctl set_topic_permissions: routing-key patterns for one topic exchange. */
  setTopicPermissions(user: string, vhost: string, p: TopicPermission): void {
    const u = this.user(user);
    this.vhost(vhost);
    for (const k of ['write', 'read'] as const) {
      if (!validPattern(p[k])) throw new AdminError('bad_request', `invalid ${k} regex '${p[k]}'`);
    }
    u.topicPermissions ??= new Map();
    const list = (u.topicPermissions.get(vhost) ?? []).filter((t) => t.exchange !== p.exchange);
    list.push({ exchange: p.exchange, write: p.write, read: p.read });
    u.topicPermissions.set(vhost, list);
    this.broker.definitionsChanged();
  }

  /** rabbitmqctl clear_topic_permissions, for one exchange or (without one) all of the vhost. */
  clearTopicPermissions(user: string, vhost: string, exchange?: string): void {
    const u = this.user(user);
    this.vhost(vhost);
    const list = u.topicPermissions?.get(vhost);
    if (list === undefined) return;
    const kept = exchange === undefined ? [] : list.filter((t) => t.exchange !== exchange);
    if (kept.length > 0) u.topicPermissions?.set(vhost, kept);
    else u.topicPermissions?.delete(vhost);
    this.broker.definitionsChanged();
  }

  topicPermissions(filter: { vhost?: string; user?: string } = {}): TopicPermissionEntry[] {
    const out: TopicPermissionEntry[] = [];
    for (const u of this.users()) {
      if (filter.user !== undefined && u.name !== filter.user) continue;
      for (const [vhost, list] of u.topicPermissions ?? []) {
        if (filter.vhost !== undefined && vhost !== filter.vhost) continue;
        for (const t of list) out.push({ user: u.name, vhost, exchange: t.exchange, write: t.write, read: t.read });
      }
    }
    return out.sort((a, b) => a.vhost.localeCompare(b.vhost) || a.user.localeCompare(b.user) || a.exchange.localeCompare(b.exchange));
  }

  // --- policies and runtime parameters (kept for definitions round trips) ---------------------

  /**
   * Adds the policies and parameters of a definitions file to those kept; an entry with the same
   * key (vhost + name, for parameters also the component) replaces the old one, as an import does
   * in RabbitMQ.
   */
  importKept(d: { policies?: unknown; operator_policies?: unknown; parameters?: unknown; global_parameters?: unknown }): void {
    const key = (e: OpaqueEntry, fields: string[], what: string): string =>
      fields
        .map((f) => {
          if (typeof e[f] !== 'string') throw new DefinitionsError(`every entry of '${what}' needs a string '${f}'`);
          return e[f] as string;
        })
        .join('\u0000');
    const merge = (kept: OpaqueEntry[], incoming: OpaqueEntry[], fields: string[], what: string): OpaqueEntry[] => {
      const byKey = new Map(kept.map((e) => [key(e, fields, what), e]));
      for (const e of incoming) byKey.set(key(e, fields, what), e);
      return [...byKey.values()];
    };
    const parameters = merge(this.parameters, objects(d.parameters, 'parameters'), ['vhost', 'component', 'name'], 'parameters');
    const globals = merge(this.globalParameters, objects(d.global_parameters, 'global_parameters'), ['name'], 'global_parameters');
    for (const e of parameters) {
      if (!this.broker.vhosts.has(e.vhost as string)) throw new DefinitionsError(`no such vhost '${String(e.vhost)}' (policy or parameter '${String(e.name)}')`);
    }
    // every policy is checked before any is set, so a bad file changes nothing
    const parsed: [PolicyStore, Policy][] = [];
    for (const [store, list, what] of [
      [this.policies, d.policies, 'policies'],
      [this.operatorPolicies, d.operator_policies, 'operator_policies'],
    ] as const) {
      for (const e of objects(list, what)) {
        for (const f of ['vhost', 'name']) if (typeof e[f] !== 'string') throw new DefinitionsError(`every entry of '${what}' needs a string '${f}'`);
        const vhost = e.vhost as string;
        if (!this.broker.vhosts.has(vhost)) throw new DefinitionsError(`no such vhost '${vhost}' (policy or parameter '${String(e.name)}')`);
        try {
          parsed.push([store, validatePolicy(store.operator, vhost, e.name as string, { pattern: e.pattern, definition: e.definition, priority: e.priority, applyTo: e['apply-to'] })]);
        } catch (err) {
          if (err instanceof PolicyError) throw new DefinitionsError(`policy '${String(e.name)}' in vhost '${vhost}': ${err.message.trim()}`);
          throw err;
        }
      }
    }
    const touched = new Set<string>();
    for (const [store, p] of parsed) {
      store.set(p);
      touched.add(p.vhost);
    }
    for (const v of touched) this.applyPolicies(v);
    this.parameters = parameters;
    this.globalParameters = globals;
    this.broker.definitionsChanged();
  }

  // --- policies and operator policies --------------------------------------------------------

  private store(operator: boolean): PolicyStore {
    return operator ? this.operatorPolicies : this.policies;
  }

  /**
   * rabbitmqctl set_policy / set_operator_policy, PUT /api/policies/{vhost}/{name}: validated as
   * RabbitMQ does (AdminError 'bad_request' with its reason), then in force on every queue and
   * exchange of the vhost at once. Returns whether the policy is new.
   */
  setPolicy(operator: boolean, vhost: string, name: string, input: PolicyInput): boolean {
    this.vhost(vhost);
    let p: Policy;
    try {
      p = validatePolicy(operator, vhost, name, input);
    } catch (e) {
      if (e instanceof PolicyError) throw new AdminError('bad_request', e.message);
      throw e;
    }
    const isNew = this.store(operator).set(p);
    this.applyPolicies(vhost);
    this.broker.log.info({ vhost, policy: name }, `${operator ? 'operator policy' : 'policy'} '${name}' set in vhost '${vhost}'`);
    this.broker.definitionsChanged();
    return isNew;
  }

  /** clear_policy / DELETE: the queues and exchanges it applied to fall back to the next match (or none). */
  clearPolicy(operator: boolean, vhost: string, name: string): void {
    this.vhost(vhost);
    if (!this.store(operator).delete(vhost, name)) throw new AdminError('not_found', 'Parameter does not exist');
    this.applyPolicies(vhost);
    this.broker.definitionsChanged();
  }

  policy(operator: boolean, vhost: string, name: string): Policy | undefined {
    return this.store(operator).get(vhost, name);
  }

  /** Every policy, or one vhost's (vhost, then name order). */
  listPolicies(operator: boolean, vhost?: string): Policy[] {
    return this.store(operator).list(vhost);
  }

  /** The policies as a definitions file has them. */
  exportPolicies(operator: boolean): Record<string, unknown>[] {
    return this.store(operator).list().map(policyJson);
  }

  /** Re-evaluates which policy is in force on each queue and exchange of a vhost. */
  applyPolicies(vhost: string): void {
    const v = this.broker.vhosts.get(vhost);
    if (v !== undefined) applyToVhost(v, this.policies, this.operatorPolicies);
  }

  // --- the rest ------------------------------------------------------------------------------

  /** Forgets everything kept here (part of Broker.reset). */
  clear(): void {
    this.vhostMeta.clear();
    this.policies.clear();
    this.operatorPolicies.clear();
    this.parameters = [];
    this.globalParameters = [];
  }

  /** Wipes everything (rabbitmqctl reset) and boots afresh: the default vhost and user only. */
  reset(): Promise<void> {
    return this.broker.reset();
  }

  /** Resolves once the changes made so far are on disk (answer a request only then). */
  durable(): Promise<void> {
    return this.broker.definitionsDurable();
  }
}
