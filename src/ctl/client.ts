// The management HTTP API as warrenctl sees it: requests over the broker's Unix socket (local,
// no password: only the broker's OS user can open the socket) or over TCP/TLS to a --url with
// basic-auth credentials. This file knows HTTP and nothing about commands: a broker that cannot
// be reached becomes a CtlError (exit 69); an error answer becomes an ApiError the command maps
// to rabbitmqctl's wording.
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CtlError, ExitCode } from './errors.js';

export type Endpoint =
  | { kind: 'socket'; path: string }
  | { kind: 'url'; url: URL; username: string; password: string };

/** An error answer of the management API: RabbitMQ's {"error": …, "reason": …}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
  ) {
    super(`${status} ${error}: ${reason}`);
  }
}

/** What a request sends besides its method and path. */
export interface RequestParts {
  /** sent as JSON */
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  /** an Authorization header instead of the endpoint's own credentials (authenticate_user) */
  authorization?: string;
}

export interface ApiResponse {
  status: number;
  /** the parsed JSON body, or undefined when the body is empty or not JSON */
  body: unknown;
}

/** Network errors that mean "nothing is listening there", rabbitmqctl's nodedown. */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EACCES', 'EPERM', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE', 'ENOTSOCK']);

export class ApiClient {
  constructor(
    readonly endpoint: Endpoint,
    /** how long one request may take, ms */
    readonly timeoutMs: number,
  ) {}

  /** Where the broker is expected, for error messages. */
  describe(): string {
    if (this.endpoint.kind === 'socket') return `the broker's socket ${this.endpoint.path}`;
    const u = new URL(this.endpoint.url.href);
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  }

  /** GET a JSON document; an error answer throws ApiError. */
  async get<T>(path: string): Promise<T> {
    return (await this.send('GET', path)).body as T;
  }

  /** A request whose error answers (status ≥ 400) throw ApiError. */
  async send(method: string, path: string, parts: RequestParts = {}): Promise<ApiResponse> {
    const res = await this.request(method, path, parts);
    if (res.status >= 400) throw toApiError(res);
    return res;
  }

  /** A request that returns every answer, error or not; only an unreachable broker throws. */
  async request(method: string, path: string, parts: RequestParts = {}): Promise<ApiResponse> {
    const { body, authorization } = parts;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    // no Accept header: RabbitMQ answers an unknown path with 406 instead of 404 when one asks for JSON
    const allHeaders: Record<string, string> = { ...parts.headers };
    if (payload) {
      allHeaders['content-type'] = 'application/json';
      allHeaders['content-length'] = String(payload.length);
    }
    const ep = this.endpoint;
    if (authorization !== undefined) allHeaders.authorization = authorization;
    else if (ep.kind === 'url') allHeaders.authorization = basicAuth(ep.username, ep.password);

    // agent: false — one connection per request, closed after it: a CLI has nothing to reuse, and
    // a pooled socket could hide that the broker went away (stop waits for exactly that)
    let options: RequestOptions;
    let send: (o: RequestOptions, cb: (res: IncomingMessage) => void) => ClientRequest = httpRequest;
    if (ep.kind === 'socket') {
      options = { socketPath: ep.path, path, method, headers: allHeaders, agent: false };
    } else {
      // a --url may carry a path prefix (RabbitMQ's management.path_prefix)
      const prefix = ep.url.pathname.replace(/\/+$/, '');
      options = {
        protocol: ep.url.protocol,
        hostname: ep.url.hostname.replace(/^\[|\]$/g, ''),
        port: ep.url.port || (ep.url.protocol === 'https:' ? 443 : 80),
        path: prefix + path,
        method,
        headers: allHeaders,
        agent: false,
      };
      if (ep.url.protocol === 'https:') send = httpsRequest;
    }

    return new Promise<ApiResponse>((resolve, reject) => {
      const req = send(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(this.unreachable(err)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: parseJson(text) });
        });
      });
      req.setTimeout(this.timeoutMs, () => {
        req.destroy();
        reject(new CtlError(ExitCode.tempFail, `Error: the request to ${this.describe()} timed out after ${this.timeoutMs / 1000} seconds`));
      });
      req.on('error', (err) => reject(this.unreachable(err)));
      req.end(payload);
    });
  }

  private unreachable(err: Error): Error {
    if (err instanceof CtlError) return err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = UNREACHABLE.has(code) ? `${code}` : err.message;
    const hint = this.endpoint.kind === 'socket' ? ' (is warren running with this --data-dir?)' : '';
    return new CtlError(ExitCode.unavailable, `Error: unable to connect to ${this.describe()}: ${why}${hint}`);
  }
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toApiError(res: ApiResponse): ApiError {
  const b = res.body;
  if (b && typeof b === 'object' && !Array.isArray(b)) {
    const o = b as Record<string, unknown>;
    return new ApiError(res.status, String(o.error ?? ''), String(o.reason ?? ''));
  }
  return new ApiError(res.status, '', '');
}

/** Encodes one path segment (a vhost "/" becomes %2F, as RabbitMQ's API expects). */
export function seg(name: string): string {
  return encodeURIComponent(name);
}
