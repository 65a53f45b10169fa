// Shared by the access-*.test.ts files: makes users, vhosts and permissions on the broker under
// test, so the same access-control tests run against an in-process Warren (through broker.admin,
// as an embedding application would) and against the reference RabbitMQ (through its management
// HTTP API: set WARREN_TEST_AMQP_URL and WARREN_TEST_MGMT_URL, e.g. http://guest:guest@127.0.0.1:15682).
// Every object is named with a "partA-" prefix and a unique suffix, and cleanup() removes them all.
import { uniqueName, type TestBroker } from '../helpers/broker.js';

export interface AccessAdmin {
  /** true for the reference broker (no in-process Warren) */
  readonly external: boolean;
  addUser(name: string, password: string, tags?: string[]): Promise<void>;
  deleteUser(name: string): Promise<void>;
  setTags(name: string, tags: string[]): Promise<void>;
  /** the user can no longer log in with a password (rabbitmqctl clear_password) */
  clearPassword(name: string): Promise<void>;
  changePassword(name: string, password: string): Promise<void>;
  addVhost(name: string): Promise<void>;
  deleteVhost(name: string): Promise<void>;
  setPermissions(user: string, vhost: string, configure: string, write: string, read: string): Promise<void>;
  clearPermissions(user: string, vhost: string): Promise<void>;
  setTopicPermissions(user: string, vhost: string, exchange: string, write: string, read: string): Promise<void>;
  /** deletes every user and vhost made through this object */
  cleanup(): Promise<void>;
}

/** A name for a user or vhost of this part, unique across runs and parallel files. */
export function partName(what: string): string {
  return uniqueName(`partA-${what}`);
}

/** An AMQP URL for the broker with other credentials and vhost. */
export function amqpUrl(broker: TestBroker, user: string, password: string, vhost: string): string {
  return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${broker.host}:${broker.port}/${encodeURIComponent(vhost)}`;
}

/** Why this broker cannot be administered here, or null when it can. */
export function adminProblem(broker: TestBroker): string | null {
  if (!broker.external) return null;
  return process.env.WARREN_TEST_MGMT_URL ? null : 'WARREN_TEST_MGMT_URL is not set (the external broker is administered through its management API)';
}

export function accessAdmin(broker: TestBroker): AccessAdmin {
  const base = broker.external ? new HttpAdmin(process.env.WARREN_TEST_MGMT_URL as string) : new WarrenAdmin(broker);
  return base;
}

abstract class Tracking implements AccessAdmin {
  abstract readonly external: boolean;
  protected readonly users = new Set<string>();
  protected readonly vhosts = new Set<string>();
  abstract addUser(name: string, password: string, tags?: string[]): Promise<void>;
  abstract deleteUser(name: string): Promise<void>;
  abstract setTags(name: string, tags: string[]): Promise<void>;
  abstract clearPassword(name: string): Promise<void>;
  abstract changePassword(name: string, password: string): Promise<void>;
  abstract addVhost(name: string): Promise<void>;
  abstract deleteVhost(name: string): Promise<void>;
  abstract setPermissions(user: string, vhost: string, configure: string, write: string, read: string): Promise<void>;
  abstract clearPermissions(user: string, vhost: string): Promise<void>;
  abstract setTopicPermissions(user: string, vhost: string, exchange: string, write: string, read: string): Promise<void>;

  async cleanup(): Promise<void> {
    for (const u of [...this.users]) await this.deleteUser(u).catch(() => undefined);
    for (const v of [...this.vhosts]) await this.deleteVhost(v).catch(() => undefined);
  }
}

class WarrenAdmin extends Tracking {
  readonly external = false;
  constructor(private readonly broker: TestBroker) {
    super();
  }
  private get admin(): NonNullable<TestBroker['warren']>['admin'] {
    const w = this.broker.warren;
    if (!w) throw new Error('no in-process Warren');
    return w.admin;
  }
  async addUser(name: string, password: string, tags: string[] = []): Promise<void> {
    this.admin.addUser(name, password, tags);
    this.users.add(name);
    await this.admin.durable();
  }
  async deleteUser(name: string): Promise<void> {
    this.users.delete(name);
    this.admin.deleteUser(name);
    await this.admin.durable();
  }
  async setTags(name: string, tags: string[]): Promise<void> {
    this.admin.setUserTags(name, tags);
    await this.admin.durable();
  }
  async clearPassword(name: string): Promise<void> {
    this.admin.clearPassword(name);
    await this.admin.durable();
  }
  async changePassword(name: string, password: string): Promise<void> {
    this.admin.changePassword(name, password);
    await this.admin.durable();
  }
  async addVhost(name: string): Promise<void> {
    this.admin.addVhost(name);
    this.vhosts.add(name);
    await this.admin.durable();
  }
  async deleteVhost(name: string): Promise<void> {
    this.vhosts.delete(name);
    this.admin.deleteVhost(name);
    await this.admin.durable();
  }
  async setPermissions(user: string, vhost: string, configure: string, write: string, read: string): Promise<void> {
    this.admin.setPermissions(user, vhost, { configure, write, read });
    await this.admin.durable();
  }
  async clearPermissions(user: string, vhost: string): Promise<void> {
    this.admin.clearPermissions(user, vhost);
    await this.admin.durable();
  }
  async setTopicPermissions(user: string, vhost: string, exchange: string, write: string, read: string): Promise<void> {
    this.admin.setTopicPermissions(user, vhost, { exchange, write, read });
    await this.admin.durable();
  }
}

/** RabbitMQ's management API (the reference broker). */
class HttpAdmin extends Tracking {
  readonly external = true;
  private readonly base: string;
  private readonly auth: string;
  /** passwords, because a PUT of a user's tags without one would clear it */
  private readonly passwords = new Map<string, string>();
  private readonly tags = new Map<string, string[]>();

  constructor(url: string) {
    super();
    const u = new URL(url);
    this.auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
    this.base = u.toString().replace(/\/$/, '');
  }

  private async call(method: string, path: string, body?: unknown): Promise<void> {
    const res = await fetch(`${this.base}/api/${path}`, {
      method,
      headers: { authorization: this.auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status >= 300) throw new Error(`${method} /api/${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }

  async addUser(name: string, password: string, tags: string[] = []): Promise<void> {
    await this.call('PUT', `users/${encodeURIComponent(name)}`, { password, tags: tags.join(',') });
    this.users.add(name);
    this.passwords.set(name, password);
    this.tags.set(name, tags);
  }
  async deleteUser(name: string): Promise<void> {
    this.users.delete(name);
    await this.call('DELETE', `users/${encodeURIComponent(name)}`);
  }
  async setTags(name: string, tags: string[]): Promise<void> {
    this.tags.set(name, tags);
    await this.call('PUT', `users/${encodeURIComponent(name)}`, { password: this.passwords.get(name) ?? '', tags: tags.join(',') });
  }
  async clearPassword(name: string): Promise<void> {
    await this.call('PUT', `users/${encodeURIComponent(name)}`, { password_hash: '', tags: (this.tags.get(name) ?? []).join(',') });
  }
  async changePassword(name: string, password: string): Promise<void> {
    this.passwords.set(name, password);
    await this.call('PUT', `users/${encodeURIComponent(name)}`, { password, tags: (this.tags.get(name) ?? []).join(',') });
  }
  async addVhost(name: string): Promise<void> {
    await this.call('PUT', `vhosts/${encodeURIComponent(name)}`, {});
    this.vhosts.add(name);
  }
  async deleteVhost(name: string): Promise<void> {
    this.vhosts.delete(name);
    await this.call('DELETE', `vhosts/${encodeURIComponent(name)}`);
  }
  async setPermissions(user: string, vhost: string, configure: string, write: string, read: string): Promise<void> {
    await this.call('PUT', `permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, { configure, write, read });
  }
  async clearPermissions(user: string, vhost: string): Promise<void> {
    await this.call('DELETE', `permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`);
  }
  async setTopicPermissions(user: string, vhost: string, exchange: string, write: string, read: string): Promise<void> {
    await this.call('PUT', `topic-permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, { exchange, write, read });
  }
}
