// Node commands: status, stop, stop_app, start_app, reset, await_startup — through Warren's own
// /api/warren/* endpoints (RabbitMQ's API has no equivalent; rabbitmqctl uses Erlang RPC).
import { readFileSync } from 'node:fs';
import { ApiError } from '../client.js';
import type { Command } from '../command.js';
import { type Context, unexpected, type WarrenStatus } from '../context.js';
import { badArgument, CtlError, ExitCode, wrongAppState } from '../errors.js';

/** How often await_startup and stop look at the broker (or the process) again, ms. */
const POLL_MS = 100;

async function post(ctx: Context, path: string): Promise<void> {
  try {
    await ctx.api.send('POST', path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw notWarren(ctx);
    throw unexpected(e);
  }
}

/** The node commands need Warren's endpoints; a --url pointing at a RabbitMQ has none. */
function notWarren(ctx: Context): CtlError {
  return new CtlError(ExitCode.software, `Error: ${ctx.api.describe()} is not a Warren management API (no /api/warren endpoints)`);
}

async function requireWarren(ctx: Context): Promise<WarrenStatus> {
  const s = await ctx.warrenStatus();
  if (!s) throw notWarren(ctx);
  return s;
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(4)} gb`;
}

/** RabbitMQ writes IPv6 interfaces in brackets: [::]. */
function iface(host: string | undefined): string {
  const h = host ?? '::';
  return h.includes(':') ? `[${h}]` : h;
}

/** Alarm names as rabbitmqctl status words them. */
function alarmText(name: string, node: string): string {
  if (name === 'disk') return `Free disk space alarm on node ${node}`;
  if (name === 'memory') return `Memory alarm on node ${node}`;
  return `${name} alarm on node ${node}`;
}

function purpose(protocol: string): string {
  switch (protocol) {
    case 'amqp':
      return 'AMQP 0-9-1';
    case 'amqp/ssl':
      return 'AMQP 0-9-1 over TLS';
    case 'http':
      return 'HTTP API';
    case 'https':
      return 'HTTP API over TLS';
    default:
      return protocol;
  }
}

/** The human-readable report, in the sections and wording of rabbitmqctl 3.10 where Warren has the data. */
function statusLines(s: WarrenStatus, vhostCount: number | undefined): string[] {
  const lines = [
    'Runtime',
    '',
    `OS PID: ${s.pid}`,
    `OS: ${process.platform === 'linux' ? 'Linux' : process.platform}`,
    `Uptime (seconds): ${Math.floor(s.uptime_ms / 1000)}`,
    'Is under maintenance?: false',
    `Product name: ${s.product}`,
    `Product version: ${s.version}`,
    `Node name: ${s.node}`,
    `Runtime: Node.js ${process.version}`,
    '',
    'Data directory',
    '',
    `Node data directory: ${s.data_dir}`,
    '',
    'Alarms',
    '',
  ];
  if (s.alarms.length === 0) lines.push('(none)');
  else for (const a of s.alarms) lines.push(alarmText(a, s.node));
  lines.push('', 'Memory', '', `Total memory used: ${gb(s.memory.rss)}`, 'Calculation strategy: rss', `JavaScript heap used: ${gb(s.memory.heap_used)}`);
  lines.push('', 'Totals', '', `Connection count: ${s.connections}`, `Queue count: ${s.queues}`);
  if (vhostCount !== undefined) lines.push(`Virtual host count: ${vhostCount}`);
  lines.push(`Message count: ${s.messages}`, '', 'Listeners', '');
  for (const l of s.listeners) {
    lines.push(`Interface: ${iface(l.host)}, port: ${l.port}, protocol: ${l.protocol}, purpose: ${purpose(l.protocol)}`);
  }
  return lines;
}

/** The JSON report, with the keys of rabbitmqctl's where Warren has the data. */
function statusJson(s: WarrenStatus, vhostCount: number | undefined): Record<string, unknown> {
  return {
    alarms: s.alarms,
    data_directory: s.data_dir,
    is_under_maintenance: false,
    listeners: s.listeners.map((l) => ({ interface: iface(l.host), node: s.node, port: l.port, protocol: l.protocol, purpose: purpose(l.protocol) })),
    memory: { total: { rss: s.memory.rss }, heap_used: s.memory.heap_used },
    node_name: s.node,
    os: process.platform === 'linux' ? 'Linux' : process.platform,
    pid: s.pid,
    product_name: s.product,
    product_version: s.version,
    totals: { virtual_host_count: vhostCount, connection_count: s.connections, queue_count: s.queues, message_count: s.messages },
    uptime: Math.floor(s.uptime_ms / 1000),
    vm_memory_calculation_strategy: 'rss',
  };
}

export const nodeCommands: Command[] = [
  {
    name: 'status',
    usage: '[--timeout <timeout>]',
    description: 'Displays status of a node',
    minArgs: 0,
    maxArgs: 0,
    requires: 'running',
    banner: async (_args, ctx) => `Status of node ${await ctx.nodeName()} ...`,
    async run(_args, ctx) {
      const s = await requireWarren(ctx);
      const vhosts = await ctx.api.get<unknown[]>('/api/vhosts').catch(() => undefined);
      if (ctx.opts.json) ctx.print(JSON.stringify(statusJson(s, vhosts?.length)));
      else ctx.print(statusLines(s, vhosts?.length));
    },
  },
  {
    name: 'stop',
    usage: '[--idempotent] [<pidfile>]',
    description: 'Stops the broker and its process, and waits until the broker no longer answers',
    argHelp: [
      ['<pidfile>', 'a file with the broker process id: also wait until that process has exited'],
      ['--idempotent', 'return success if target node is not running (cannot be contacted)'],
    ],
    minArgs: 0,
    maxArgs: 1,
    options: ['idempotent'],
    requires: 'nothing',
    banner: async (args, ctx) => {
      const node = await ctx.nodeNameOrDefault();
      return args.length > 0 ? `Stopping and halting node ${node} (will monitor pid file ${args[0]}) ...` : `Stopping and halting node ${node} ...`;
    },
    async run(args, ctx) {
      const pid = args.length > 0 ? pidFromFile(args[0] ?? '') : undefined;
      try {
        await requireWarren(ctx);
      } catch (e) {
        if (e instanceof CtlError && e.exitCode === ExitCode.unavailable && ctx.opts.flags.idempotent === true) {
          ctx.message(`Node ${await ctx.nodeNameOrDefault()} is no longer running`);
          return;
        }
        throw e;
      }
      await post(ctx, '/api/warren/stop');
      await waitUntilGone(ctx);
      if (pid !== undefined) {
        await waitForProcessExit(pid, ctx);
        ctx.message(`process ${pid} (take from pid file ${args[0]}) is no longer running`);
      }
    },
  },
  {
    name: 'stop_app',
    usage: '',
    description: 'Stops the broker application (closes every AMQP connection and the AMQP listener), leaving the process and its management API running',
    minArgs: 0,
    maxArgs: 0,
    requires: 'reachable',
    banner: async (_args, ctx) => `Stopping rabbit application on node ${await ctx.nodeName()} ...`,
    run: (_args, ctx) => post(ctx, '/api/warren/stop_app'),
  },
  {
    name: 'start_app',
    usage: '',
    description: 'Starts the broker application (the AMQP listener) after stop_app',
    minArgs: 0,
    maxArgs: 0,
    requires: 'reachable',
    banner: async (_args, ctx) => `Starting node ${await ctx.nodeName()} ...`,
    run: (_args, ctx) => post(ctx, '/api/warren/start_app'),
  },
  {
    name: 'reset',
    usage: '',
    description: 'Deletes all users, virtual hosts, queues, exchanges and messages and restores the first-boot defaults (after stop_app)',
    minArgs: 0,
    maxArgs: 0,
    requires: 'stopped',
    banner: async (_args, ctx) => `Resetting node ${await ctx.nodeName()} ...`,
    async run(_args, ctx) {
      const res = await ctx.api.request('POST', '/api/warren/reset');
      // the application was started again between our check and the reset
      if (res.status === 409) throw wrongAppState(false);
      if (res.status === 404) throw notWarren(ctx);
      if (res.status >= 400) throw unexpected(new ApiError(res.status, '', reasonOf(res.body)));
    },
  },
  {
    name: 'await_startup',
    usage: '[--timeout <timeout>]',
    description: 'Waits for the broker to start (answer, with its application running); gives up after --timeout seconds (default 300)',
    minArgs: 0,
    maxArgs: 0,
    requires: 'nothing',
    async run(_args, ctx) {
      const deadline = Date.now() + (ctx.opts.timeout ?? 300) * 1000;
      for (;;) {
        let failure: unknown;
        try {
          const s = await ctx.warrenStatus();
          if (!s || s.app_running) return;
          failure = new CtlError(ExitCode.tempFail, `Error: timed out waiting for the broker application to start on node ${s.node}`);
        } catch (e) {
          if (!(e instanceof CtlError) || e.exitCode !== ExitCode.unavailable) throw e;
          failure = e;
        }
        if (Date.now() + POLL_MS > deadline) throw failure;
        ctx.forgetStatus();
        await sleep(POLL_MS);
      }
    },
  },
];

function reasonOf(body: unknown): string {
  return body && typeof body === 'object' ? String((body as Record<string, unknown>).reason ?? '') : '';
}

/** After stop: wait (bounded by the timeout) until the broker no longer answers. */
async function waitUntilGone(ctx: Context): Promise<void> {
  const deadline = Date.now() + (ctx.opts.timeout ?? 60) * 1000;
  while (Date.now() < deadline) {
    try {
      await ctx.api.request('GET', '/api/warren/status');
    } catch (e) {
      if (e instanceof CtlError && e.exitCode === ExitCode.unavailable) return;
      throw e;
    }
    await sleep(POLL_MS);
  }
  throw new CtlError(ExitCode.tempFail, `Error: the broker at ${ctx.api.describe()} is still running ${ctx.opts.timeout ?? 60} seconds after stop`);
}

function pidFromFile(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new CtlError(ExitCode.unavailable, `Error:\ncould not read pid from file ${path}. Error: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (!/^\d+$/.test(text)) throw badArgument(`could not read pid from file ${path}. File contents: ${text}`);
  return Number(text);
}

/** Polls (bounded by the timeout) until the process is gone: there is no event for another process's exit. */
async function waitForProcessExit(pid: number, ctx: Context): Promise<void> {
  const deadline = Date.now() + (ctx.opts.timeout ?? 60) * 1000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(POLL_MS);
  }
  throw new CtlError(ExitCode.tempFail, `Error: process ${pid} is still running ${ctx.opts.timeout ?? 60} seconds after stop`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
