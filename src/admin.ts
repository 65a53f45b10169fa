// Administration: users, vhosts and permissions, as the management HTTP API and warrenctl use
// them. Every change that must survive a restart goes through Broker.definitionsChanged(), so it
// is written with the store's next commit. Errors carry a kind the callers map to their own
// vocabulary (HTTP status, rabbitmqctl exit code).
import type { Broker } from './broker.js';
import { hashPassword, type Permission, type User } from './auth/users.js';
import type { VHost } from './core/vhost.js';

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
  /** a ready hash (rabbit_password_hashing_sha256); '' clears the password (no password login) */
  passwordHash?: string;
  tags?: string[];
}

export interface PermissionEntry extends Permission {
  user: string;
  vhost: string;
}

export class Admin {
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
    const u = this.broker.users.add(name, password, tags);
    this.broker.definitionsChanged();
    return u;
  }

  /** HTTP PUT /api/users/{name}: creates or updates; returns whether it was created. */
  putUser(name: string, update: UserUpdate): boolean {
    if (name === '') throw new AdminError('bad_request', 'user name must not be empty');
    let u = this.broker.users.users.get(name);
    const created = u === undefined;
    if (u === undefined) {
      if (update.password === undefined && update.passwordHash === undefined) {
        throw new AdminError('bad_request', 'password or password_hash must be set');
      }
      u = { name, passwordHash: '', tags: [], permissions: new Map() };
      this.broker.users.users.set(name, u);
    }
    if (update.password !== undefined) u.passwordHash = hashPassword(update.password);
    else if (update.passwordHash !== undefined) u.passwordHash = update.passwordHash;
    if (update.tags !== undefined) u.tags = update.tags;
    this.broker.definitionsChanged();
    return created;
  }

  deleteUser(name: string): void {
    this.user(name);
    this.broker.users.users.delete(name);
    this.broker.definitionsChanged();
  }

  changePassword(name: string, password: string): void {
    this.user(name).passwordHash = hashPassword(password);
    this.broker.definitionsChanged();
  }

  /** rabbitmqctl clear_password: the user can no longer log in with a password. */
  clearPassword(name: string): void {
    this.user(name).passwordHash = '';
    this.broker.definitionsChanged();
  }

  setUserTags(name: string, tags: string[]): void {
    this.user(name).tags = tags;
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
  addVhost(name: string): VHost {
    if (this.broker.vhosts.has(name)) throw new AdminError('exists', `vhost '${name}' already exists`);
    return this.ensureVhost(name);
  }

  ensureVhost(name: string): VHost {
    if (name === '') throw new AdminError('bad_request', 'vhost name must not be empty');
    return this.broker.addVhost(name);
  }

  /** Deletes a vhost: its connections are closed, its queues (and their messages) and exchanges go, and so do permissions on it. */
  deleteVhost(name: string): void {
    this.vhost(name);
    this.broker.deleteVhost(name);
  }

  // --- permissions ----------------------------------------------------------------------------

  setPermissions(user: string, vhost: string, p: Permission): void {
    const u = this.user(user);
    this.vhost(vhost);
    for (const k of ['configure', 'write', 'read'] as const) {
      try {
        new RegExp(p[k]);
      } catch {
        throw new AdminError('bad_request', `invalid ${k} regex '${p[k]}'`);
      }
    }
    u.permissions.set(vhost, { configure: p.configure, write: p.write, read: p.read });
    this.broker.definitionsChanged();
  }

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

  /** Wipes everything (rabbitmqctl reset) and boots afresh: the default vhost and user only. */
  reset(): Promise<void> {
    return this.broker.reset();
  }

  /** Resolves once the changes made so far are on disk (answer a request only then). */
  durable(): Promise<void> {
    return this.broker.definitionsDurable();
  }
}
