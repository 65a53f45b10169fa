// What a command runs with: the API client, the parsed global options, and the output rules
// rabbitmqctl applies to every command (banners, -q / --silent, --formatter json, table headers).
import { hostname } from 'node:os';
import { ApiError, type ApiClient } from './client.js';
import { CtlError, ExitCode } from './errors.js';
import { jsonListLines, type Row, sortedJson, tableLines } from './format.js';

export interface GlobalOptions {
  /** -p / --vhost (default "/") */
  vhost: string;
  /** -q / --quiet: no banner or informational messages */
  quiet: boolean;
  /** -s / --silent: like quiet, and tables lose their header row */
  silent: boolean;
  /** --formatter json: machine-readable output, no banner */
  json: boolean;
  /** --no-table-headers */
  tableHeaders: boolean;
  /** -t / --timeout, seconds (undefined when not given) */
  timeout: number | undefined;
  /** -n / --node: only used in messages, as the broker's name */
  node: string | undefined;
  /** every named option given on the command line (for per-command flags) */
  flags: Readonly<Record<string, string | boolean | undefined>>;
}

/** GET /api/warren/status */
export interface WarrenStatus {
  pid: number;
  product: string;
  version: string;
  node: string;
  uptime_ms: number;
  app_running: boolean;
  data_dir: string;
  listeners: { protocol: string; port: number; host?: string }[];
  alarms: string[];
  memory: { rss: number; heap_used: number };
  connections: number;
  queues: number;
  messages: number;
}

/**
 * How a listing came about in rabbitmqctl, which decides what an empty one prints: items streamed
 * from the node (queues, connections, …) print nothing at all, a list computed at once (users,
 * vhosts, permissions) prints an empty line, or "[]" in JSON.
 */
export type ListKind = 'stream' | 'list';

/** The node name Warren gives itself (the management API's nodeName()): warren@<short hostname>. */
export function defaultNodeName(): string {
  return `warren@${hostname().split('.')[0] ?? 'localhost'}`;
}

export class Context {
  private status: WarrenStatus | null | undefined;
  private overviewNode: string | undefined;
  /** whether anything was printed to stdout */
  printed = false;

  constructor(
    readonly api: ApiClient,
    readonly opts: GlobalOptions,
    private readonly write: (text: string) => void,
  ) {}

  /** No banner and no informational messages (rabbitmqctl's output_less?). */
  get quiet(): boolean {
    return this.opts.quiet || this.opts.silent;
  }

  /** Prints lines to stdout, each ended by a newline. */
  print(lines: string | readonly string[]): void {
    const all = typeof lines === 'string' ? [lines] : lines;
    if (all.length === 0) return;
    this.printed = true;
    this.write(`${all.join('\n')}\n`);
  }

  /** Prints text as is (rabbitmqctl's raw printer: no newline added). */
  printRaw(text: string): void {
    this.printed = true;
    this.write(text);
  }

  /** A result message ("Queue was successfully deleted …"): {"message": …} in JSON, dropped by -q and --silent. */
  message(text: string): void {
    if (this.opts.json) this.print(JSON.stringify({ message: text }));
    else if (!this.quiet) this.print(text);
  }

  /** A listing, as a table or as rabbitmqctl's JSON list. */
  list(columns: readonly string[], rows: readonly Row[], kind: ListKind): void {
    if (rows.length === 0) {
      if (kind === 'list') this.print(this.opts.json ? '[]' : '');
      else if (this.opts.json) this.print(['[', ']']);
      return;
    }
    if (this.opts.json) this.print(jsonListLines(columns, rows));
    else this.print(tableLines(columns, rows, this.opts.tableHeaders && !this.opts.silent));
  }

  /** In JSON, a command that printed nothing reports {"node": …, "result": "ok"} (rabbitmqctl's :ok). */
  async finish(): Promise<void> {
    if (this.opts.json && !this.printed) this.print(sortedJson({ node: await this.nodeNameOrDefault(), result: 'ok' }));
  }

  /**
   * Warren's node status, or null when the API belongs to a RabbitMQ (which has no
   * /api/warren/status); fetched once per run unless forgotten.
   */
  async warrenStatus(): Promise<WarrenStatus | null> {
    if (this.status !== undefined) return this.status;
    const res = await this.api.request('GET', '/api/warren/status');
    if (res.status === 404) this.status = null;
    else if (res.status >= 400) throw apiFailure(res.status, res.body);
    else this.status = res.body as WarrenStatus;
    return this.status;
  }

  /** Drops the cached status, so the next warrenStatus() asks again (await_startup). */
  forgetStatus(): void {
    this.status = undefined;
  }

  /** The node name messages show: -n when given, else what the broker calls itself. */
  async nodeName(): Promise<string> {
    if (this.opts.node) return this.opts.node;
    const s = await this.warrenStatus();
    if (s) return s.node;
    if (this.overviewNode === undefined) {
      const o = await this.api.get<{ node?: string }>('/api/overview').catch((e: unknown) => {
        throw unexpected(e);
      });
      this.overviewNode = o.node ?? 'unknown';
    }
    return this.overviewNode;
  }

  /** The node name, or Warren's default one when the broker does not answer (stop's messages). */
  async nodeNameOrDefault(): Promise<string> {
    try {
      return await this.nodeName();
    } catch {
      return this.opts.node ?? defaultNodeName();
    }
  }

  /** Whether the AMQP side runs (RabbitMQ's "rabbit" application); a RabbitMQ API is taken as running. */
  async appRunning(): Promise<boolean> {
    const s = await this.warrenStatus();
    return s ? s.app_running : true;
  }
}

/** An unexpected error answer: the broker's reason, exit 70 (401: the credentials, exit 69). */
export function apiFailure(status: number, body: unknown): CtlError {
  const o = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const reason = String(o.reason ?? o.error ?? `HTTP ${status}`);
  if (status === 401) {
    return new CtlError(ExitCode.unavailable, `Error: the management API refused the credentials: ${reason}`);
  }
  return new CtlError(ExitCode.software, `Error:\n${reason}`);
}

/** Maps an ApiError a command does not handle itself; anything else passes through. */
export function unexpected(err: unknown): unknown {
  if (err instanceof ApiError) return apiFailure(err.status, { error: err.error, reason: err.reason });
  return err;
}

/**
 * Awaits an API call: a 404 throws what `notFound` makes (when given), any other failure is
 * reported as `unexpected` maps it.
 */
export async function apiCall<T>(call: Promise<T>, notFound?: () => CtlError): Promise<T> {
  try {
    return await call;
  } catch (e) {
    if (notFound !== undefined && e instanceof ApiError && e.status === 404) throw notFound();
    throw unexpected(e);
  }
}
