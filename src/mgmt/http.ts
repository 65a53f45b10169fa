// The HTTP vocabulary of the management API: the request a handler sees, the reply it returns, and
// the errors RabbitMQ's management plugin answers with ({"error": …, "reason": …} and its status
// codes). Knows nothing of queues or users.
import type { IncomingMessage } from 'node:http';
import type { User } from '../auth/users.js';

/** RabbitMQ's max_http_body_size default (20 MB). */
export const MAX_BODY_BYTES = 20_000_000;

/** The management realm RabbitMQ sends in WWW-Authenticate. */
export const AUTH_REALM = 'Basic realm="RabbitMQ Management"';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    /** usually text; RabbitMQ renders an Erlang tuple reason as a JSON list */
    readonly reason: string | readonly string[],
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${error}: ${String(reason)}`);
  }
}

/** What cowboy_rest answers when resource_exists is false. */
export const objectNotFound = (): HttpError => new HttpError(404, 'Object Not Found', 'Not Found');
export const badRequest = (reason: string): HttpError => new HttpError(400, 'bad_request', reason);
/** RabbitMQ answers authorization failures (missing tag, foreign vhost, refused permission) with 401. */
export const notAuthorised = (reason: string): HttpError => new HttpError(401, 'not_authorised', reason);
/** Failed authentication: 401 with the realm, so browsers and clients retry with credentials. */
export const notAuthenticated = (): HttpError => new HttpError(401, 'not_authorized', 'Login failed', { 'www-authenticate': AUTH_REALM });

/** No credentials at all: cowboy's bare 401 with the realm and no body. */
export class NoCredentials extends HttpError {
  constructor() {
    super(401, 'not_authorized', '', { 'www-authenticate': AUTH_REALM });
  }
}

/** Who is asking: an authenticated user, or warrenctl over the Unix socket (internal: no permission checks). */
export interface Principal {
  user: User;
  internal: boolean;
}

export interface Request {
  readonly method: string;
  /** the path's segments after /api, percent-decoded */
  readonly segments: readonly string[];
  /** the raw request path (without the query string) */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly raw: IncomingMessage;
  /** route parameters by name (decoded) */
  params: Record<string, string>;
  principal: Principal;
  /** the parsed JSON body; {} when empty (as RabbitMQ) */
  json(): Promise<Record<string, unknown>>;
}

export interface Reply {
  status: number;
  /** serialised as JSON unless `text` is given */
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** runs once the response has been written (e.g. stop the broker after answering) */
  after?: () => void;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });
export const noContent = (): Reply => ({ status: 204 });
/** PUT answers 201 when it created the object, 204 when it already existed. */
export const created = (isNew: boolean): Reply => ({ status: isNew ? 201 : 204 });

/** Reads a request body up to MAX_BODY_BYTES. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(badRequest('Exceeded HTTP request body size limit'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** RabbitMQ's decode: empty, "null" and "undefined" bodies are {}, anything but an object is not_json. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text === '' || text === 'null' || text === 'undefined') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw badRequest('not_json');
  }
  if (typeof v === 'string') throw badRequest('invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?');
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('not_json');
  return v as Record<string, unknown>;
}

/** Erlang's ~p line width: a term that does not fit on one line is broken after each element. */
const ERLANG_LINE = 79;

/** Throws RabbitMQ's "[{key_missing,k}]" 400 unless every key is present (null counts as missing). */
export function requireKeys(body: Record<string, unknown>, keys: readonly string[]): void {
  const missing = keys.filter((k) => body[k] === undefined || body[k] === null).map((k) => `{key_missing,${k}}`);
  if (missing.length === 0) return;
  const oneLine = `[${missing.join(',')}]`;
  throw badRequest(oneLine.length < ERLANG_LINE ? oneLine : `[${missing.join(',\n ')}]`);
}

/** RabbitMQ's parse_bool for JSON bodies: true/false, or the strings "true"/"false". */
export function boolField(body: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = body[key];
  if (v === undefined || v === null) return dflt;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw badRequest(`{not_boolean,${JSON.stringify(v)}}`);
}

export function stringField(body: Record<string, unknown>, key: string, dflt: string): string {
  const v = body[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw badRequest(`${key} must be a string`);
}

/** The query-string flag RabbitMQ reads as `=:= "true"`. */
export function queryFlag(req: Request, name: string): boolean {
  return req.query.get(name) === 'true';
}
