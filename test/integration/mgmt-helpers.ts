// The management API in tests: an in-process Warren with its API on a free port, or, with
// WARREN_TEST_MGMT_URL (e.g. http://127.0.0.1:15682) and WARREN_TEST_AMQP_URL set, an external
// broker such as the reference RabbitMQ, so the same tests check RabbitMQ's real behaviour.
// Requests go through fetch (TCP) or node:http (the Unix socket); every one is bounded in time.
import { request } from 'node:http';
import { after, before } from 'node:test';
import { startBroker, type TestBroker, uniqueName } from '../helpers/broker.js';

export { uniqueName };

/** How long one HTTP request may take. */
export const HTTP_TIMEOUT_MS = 15_000;

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  /** the parsed JSON body (undefined when empty or not JSON) */
  body: unknown;
  text: string;
}

/** A path segment, as the API expects names (the vhost "/" is %2F). */
export const enc = encodeURIComponent;

function parse(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export class Api {
  constructor(
    readonly base: string,
    readonly user: string | null = 'guest',
    readonly password = 'guest',
  ) {}

  /** The same API with other credentials (null: none). */
  as(user: string | null, password = ''): Api {
    return new Api(this.base, user, password);
  }

  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
    const h: Record<string, string> = { ...headers };
    if (this.user !== null) h.authorization = `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.base + path, { method, headers: h, body: payload, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    const text = await res.text();
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      out[k] = v;
    });
    return { status: res.status, headers: out, body: parse(text), text };
  }

  get(path: string): Promise<HttpResult> {
    return this.req('GET', path);
  }
  put(path: string, body?: unknown): Promise<HttpResult> {
    return this.req('PUT', path, body ?? {});
  }
  post(path: string, body?: unknown): Promise<HttpResult> {
    return this.req('POST', path, body ?? {});
  }
  delete(path: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    return this.req('DELETE', path, undefined, headers);
  }
}

/** A request over the broker's Unix socket (no credentials, as warrenctl sends them). */
export function socketRequest(socketPath: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path, method, headers: payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
          resolve({ status: res.statusCode ?? 0, headers, body: parse(text), text });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(HTTP_TIMEOUT_MS, () => req.destroy(new Error(`request over ${socketPath} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface MgmtBroker {
  /** amqp://guest:guest@host:port/%2F */
  amqpUrl: string;
  /** amqp URL for another user and vhost */
  amqpUrlFor(user: string, password: string, vhost: string): string;
  /** the API as guest */
  api: Api;
  external: boolean;
  broker: TestBroker;
  stop(): Promise<void>;
}

/** Starts Warren with its management API on a free port (or points at WARREN_TEST_MGMT_URL). */
export async function startMgmt(options: Record<string, unknown> = {}): Promise<MgmtBroker> {
  const externalMgmt = process.env.WARREN_TEST_MGMT_URL;
  const broker = await startBroker({ managementPort: 'auto', ...options });
  const base = externalMgmt ?? `http://127.0.0.1:${broker.warren?.managementPort ?? 0}`;
  const amqp = new URL(broker.url);
  return {
    amqpUrl: broker.url,
    amqpUrlFor: (user, password, vhost) => `amqp://${enc(user)}:${enc(password)}@${amqp.host}/${enc(vhost)}`,
    api: new Api(base.replace(/\/$/, '')),
    external: externalMgmt !== undefined,
    broker,
    stop: () => broker.stop(),
  };
}

/** A JSON object as the API returns it. */
export type Json = Record<string, unknown>;

/**
 * For a test file: starts the management broker before its tests and stops it after them. The
 * returned object reads through to that broker, so it may be used only inside tests and hooks.
 */
export function useMgmt(options: Record<string, unknown> = {}): MgmtBroker {
  let started: MgmtBroker | undefined;
  before(async () => {
    started = await startMgmt(options);
  });
  after(async () => {
    await started?.stop();
  });
  const get = (): MgmtBroker => {
    if (started === undefined) throw new Error('the management broker is used before it started');
    return started;
  };
  return {
    get amqpUrl() {
      return get().amqpUrl;
    },
    amqpUrlFor: (user, password, vhost) => get().amqpUrlFor(user, password, vhost),
    get api() {
      return get().api;
    },
    get external() {
      return get().external;
    },
    get broker() {
      return get().broker;
    },
    stop: () => get().stop(),
  };
}

/** Creates a user with tags and optional permissions; returns its API and a cleanup. */
export async function makeUser(api: Api, tags: string, perms: Record<string, string> = {}): Promise<{ name: string; password: string; api: Api; remove(): Promise<void> }> {
  const name = uniqueName(`mgmt-user`);
  const password = `pw-${name}`;
  const r = await api.put(`/api/users/${enc(name)}`, { password, tags });
  if (r.status !== 201) throw new Error(`cannot create user ${name}: ${r.status} ${r.text}`);
  for (const [vhost, re] of Object.entries(perms)) {
    const p = await api.put(`/api/permissions/${enc(vhost)}/${enc(name)}`, { configure: re, write: re, read: re });
    if (p.status !== 201 && p.status !== 204) throw new Error(`cannot grant ${name} on ${vhost}: ${p.status} ${p.text}`);
  }
  return { name, password, api: api.as(name, password), remove: async () => void (await api.delete(`/api/users/${enc(name)}`)) };
}

/** Creates a vhost; returns its name and a cleanup. */
export async function makeVhost(api: Api): Promise<{ name: string; remove(): Promise<void> }> {
  const name = uniqueName('mgmt-vhost');
  const r = await api.put(`/api/vhosts/${enc(name)}`);
  if (r.status !== 201) throw new Error(`cannot create vhost ${name}: ${r.status} ${r.text}`);
  return { name, remove: async () => void (await api.delete(`/api/vhosts/${enc(name)}`)) };
}

/** Polls `fn` (bounded) until it returns a truthy value: for stats that have no event to await. */
export async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
