// rabbitmq.conf → BrokerOptions: RabbitMQ's "new style" configuration format (sysctl-like, read by
// cuttlefish): `key = value` lines, `#` comments, dotted keys. The last setting of a key wins, as in
// cuttlefish. A value in single quotes may contain '#', as newer cuttlefish versions allow (the 3.0.1
// in RabbitMQ 3.10 keeps the quotes and cuts the value at the '#', which nobody wants).
//
// Every key falls in one of three classes (docs/configuration.md lists them all):
//  * keys Warren applies (APPLIED below), checked with RabbitMQ's datatype and validators;
//  * keys RabbitMQ 3.10 or one of its plugins knows but Warren has no use for (clustering, Erlang VM,
//    socket tuning, MQTT, ...): a warning naming the key and line; the broker starts;
//  * anything else: an error, because RabbitMQ refuses to boot on a key its schema does not know
//    (a typo in a security setting must not go unnoticed).
// A value RabbitMQ would reject is an error naming the key and line.
//
// This module only reads and checks; main.ts decides precedence (flags > file > WARREN_* env).
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { totalmem } from 'node:os';
import type { BrokerOptions, TlsOptions } from './config.js';
import type { LogLevel } from './log.js';

/** One `key = value` line. */
export interface Setting {
  /** the key as written, e.g. `listeners.tcp.default` */
  key: string;
  /** its dot-separated parts, `\.` unescaped */
  path: string[];
  value: string;
  line: number;
}

/** A config file Warren cannot run with; the message is one line naming the file, line and key. */
export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

export interface ConfigFileResult {
  options: BrokerOptions;
  /** one line per setting Warren recognises but does not apply */
  warnings: string[];
}

// --- syntax ------------------------------------------------------------------------------------

/** A key: words of letters, digits, '_' and '-' (or an escaped dot), joined by dots. */
const KEY_RE = /^(?:[A-Za-z0-9_-]|\\\.)+(?:\.(?:[A-Za-z0-9_-]|\\\.)+)*/;
const LEADING_WS = /^[ \t]+/;
const TRAILING_WS = /[ \t]+$/;

function splitKey(key: string): string[] {
  // an escaped dot belongs to the word (e.g. a user name in loopback_users.<user>)
  return key
    .replace(/\\\./g, '\u0000')
    .split('.')
    .map((w) => w.replace(/\u0000/g, '.'));
}

/** Parses rabbitmq.conf text into settings, last occurrence of a key winning. */
export function parseConfigText(text: string, file: string): Setting[] {
  const byKey = new Map<string, Setting>();
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    const s = raw.replace(LEADING_WS, '');
    if (s === '' || s.startsWith('#')) continue;
    const syntax = (why: string): ConfigFileError => new ConfigFileError(`${file}:${line}: syntax error: ${why}`);
    if (/^include[ \t]/.test(s)) throw syntax("'include' directives are not supported; put everything in one file");
    const km = KEY_RE.exec(s);
    if (!km) throw syntax(`expected 'key = value', got '${s}'`);
    let rest = s.slice(km[0].length).replace(LEADING_WS, '');
    if (!rest.startsWith('=')) throw syntax(`expected '=' after '${km[0]}'`);
    rest = rest.slice(1).replace(LEADING_WS, '');
    let value: string;
    if (rest.startsWith("'")) {
      // a quoted value may contain '#'
      const end = rest.indexOf("'", 1);
      if (end < 0) throw syntax('unterminated quoted value');
      value = rest.slice(1, end);
      const after = rest.slice(end + 1).replace(LEADING_WS, '');
      if (after !== '' && !after.startsWith('#')) throw syntax(`unexpected '${after}' after the quoted value`);
    } else {
      // an unquoted value ends at a '#': the rest of the line is a comment (cuttlefish does the same)
      const hash = rest.indexOf('#');
      value = (hash < 0 ? rest : rest.slice(0, hash)).replace(TRAILING_WS, '');
      if (value === '') throw syntax(`no value for '${km[0]}'`);
    }
    const path = splitKey(km[0]);
    const id = path.join('\u0000');
    byKey.delete(id); // keep file order for the survivors, with the last value
    byKey.set(id, { key: km[0], path, value, line });
  }
  return [...byKey.values()];
}

// --- values --------------------------------------------------------------------------------------

/** Context for one file: where errors and warnings point. */
class Reader {
  readonly warnings: string[] = [];
  constructor(readonly file: string) {}

  bad(s: Setting, why: string): ConfigFileError {
    // a password stays out of error messages (and so out of logs)
    const shown = /pass/.test(s.key) ? '' : ` = ${s.value}`;
    return new ConfigFileError(`${this.file}:${s.line}: ${s.key}${shown}: ${why}`);
  }

  warn(s: Setting, why: string): void {
    this.warnings.push(`${this.file}:${s.line}: ${s.key}: ${why}`);
  }

  integer(s: Setting, min: number, max: number): number {
    if (!/^-?\d+$/.test(s.value)) throw this.bad(s, 'not an integer');
    const n = Number(s.value);
    if (n < min || n > max) throw this.bad(s, `must be between ${min} and ${max}`);
    return n;
  }

  float(s: Setting): number {
    if (!/^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(s.value)) throw this.bad(s, 'not a number');
    return Number(s.value);
  }

  bool(s: Setting): boolean {
    if (s.value === 'true') return true;
    if (s.value === 'false') return false;
    throw this.bad(s, 'must be true or false');
  }

  oneOf<T extends string>(s: Setting, values: readonly T[]): T {
    if ((values as readonly string[]).includes(s.value)) return s.value as T;
    throw this.bad(s, `must be one of ${values.join(', ')}`);
  }

  /** cuttlefish's bytesize: a number, optionally with KB / MB / GB (powers of 1024, any case). */
  bytesize(s: Setting): number {
    const m = /^(\d+(?:\.\d+)?)([kKmMgG][bB])?$/.exec(s.value);
    if (!m) throw this.bad(s, 'not a byte size (e.g. 131072 or 128KB)');
    const unit = m[2]?.toLowerCase();
    const mult = unit === 'kb' ? 1024 : unit === 'mb' ? 1024 ** 2 : unit === 'gb' ? 1024 ** 3 : 1;
    return Math.floor(Number(m[1]) * mult);
  }

  /**
   * RabbitMQ's information units for memory and disk limits: kB/KB/MB/GB are powers of 1000,
   * k/K/kiB/KiB/M/MiB/G/GiB powers of 1024 (rabbit_resource_monitor_misc).
   */
  informationUnit(s: Setting): number {
    const m = /^(\d+)([A-Za-z]*)$/.exec(s.value);
    const mult = m ? UNITS.get(m[2]) : undefined;
    if (!m || mult === undefined) throw this.bad(s, 'not an amount of bytes (e.g. 50000000, 50MB, 2GB, 512MiB)');
    return Number(m[1]) * mult;
  }

  /** cuttlefish's `[integer, ip]`: a port, or ip:port (split at the last colon, so ':::5672' works). */
  listenAddress(s: Setting): { host?: string; port: number } {
    const port = (text: string): number => {
      if (!/^\d+$/.test(text) || Number(text) > 65535) throw this.bad(s, 'not a port or ip:port');
      return Number(text);
    };
    if (/^\d+$/.test(s.value)) return { port: port(s.value) };
    const colon = s.value.lastIndexOf(':');
    if (colon <= 0) throw this.bad(s, 'not a port or ip:port');
    let host = s.value.slice(0, colon);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    if (isIP(host) === 0) throw this.bad(s, `'${host}' is not an IP address`);
    return { host, port: port(s.value.slice(colon + 1)) };
  }

  ip(s: Setting): string {
    if (isIP(s.value) === 0) throw this.bad(s, 'value should be a valid IP address');
    return s.value;
  }

  /** RabbitMQ's file_accessible validator: the file must exist and be readable now. */
  readableFile(s: Setting): string {
    try {
      accessSync(s.value, constants.R_OK);
    } catch {
      throw this.bad(s, 'file does not exist or cannot be read');
    }
    return s.value;
  }
}

const UNITS = new Map<string, number>([
  ['', 1],
  ...['kB', 'KB', 'kb', 'Kb'].map((u) => [u, 1e3] as [string, number]),
  ...['MB', 'mB', 'mb', 'Mb'].map((u) => [u, 1e6] as [string, number]),
  ...['GB', 'gB', 'gb', 'Gb'].map((u) => [u, 1e9] as [string, number]),
  ...['k', 'K', 'kiB', 'KiB', 'KIB', 'kib'].map((u) => [u, 1024] as [string, number]),
  ...['m', 'M', 'MiB', 'MIB', 'mib'].map((u) => [u, 1024 ** 2] as [string, number]),
  ...['g', 'G', 'GiB', 'GIB', 'gib'].map((u) => [u, 1024 ** 3] as [string, number]),
]);

/** RabbitMQ's log levels → pino's. notice has no pino level: it is info's neighbour. */
const LOG_LEVELS: Record<string, LogLevel> = {
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  alert: 'fatal',
  emergency: 'fatal',
  none: 'silent',
};

// --- applied keys ----------------------------------------------------------------------------------

/** TLS settings as they are read, before a listener needs them. */
interface TlsParts {
  certfile?: string;
  keyfile?: string;
  cacertfile?: string;
  verify?: 'verify_peer' | 'verify_none';
  failIfNoPeerCert?: boolean;
  port?: Setting;
  ip?: string;
}

/** What the applied keys gather; finish() turns it into BrokerOptions. */
interface Gathered {
  o: BrokerOptions;
  tcp: Setting[];
  tcpNone?: Setting;
  ssl: Setting[];
  sslNone: boolean;
  sslOptions: TlsParts;
  managementTcpPort?: number;
  managementSsl: TlsParts;
  managementSslSettings: Setting[];
  loopbackNone: boolean;
  loopback: Map<string, boolean>;
  memRelative?: number;
  memAbsolute?: number;
  diskRelative?: number;
  diskAbsolute?: number;
  logConsole?: boolean;
  logConsoleLevel?: LogLevel;
  logFile?: boolean;
  logFileLevel?: LogLevel;
  logDefaultLevel?: LogLevel;
  loadDefinitions?: string;
  definitionsLocalPath?: string;
  definitionsBackend?: Setting;
  managementLoadDefinitions?: string;
}

type Apply = (s: Setting, r: Reader, g: Gathered) => void;

const VERIFY = ['verify_peer', 'verify_none'] as const;
const LEVEL_NAMES = Object.keys(LOG_LEVELS);

function tlsKeys(prefix: string, pick: (g: Gathered) => TlsParts): Array<[string, Apply]> {
  return [
    [`${prefix}.certfile`, (s, r, g) => { pick(g).certfile = r.readableFile(s); }],
    [`${prefix}.keyfile`, (s, r, g) => { pick(g).keyfile = r.readableFile(s); }],
    [`${prefix}.cacertfile`, (s, r, g) => { pick(g).cacertfile = r.readableFile(s); }],
    [`${prefix}.verify`, (s, r, g) => { pick(g).verify = r.oneOf(s, VERIFY); }],
    [`${prefix}.fail_if_no_peer_cert`, (s, r, g) => { pick(g).failIfNoPeerCert = r.bool(s); }],
  ];
}

/** Keys Warren applies, with their checks. `*` matches one key segment. */
const APPLIED: Array<[string, Apply]> = [
  [
    'listeners.tcp',
    (s, r, g) => {
      r.oneOf(s, ['none']);
      g.tcpNone = s;
    },
  ],
  [
    'listeners.tcp.*',
    (s, r, g) => {
      r.listenAddress(s); // checked here so the error points at this line
      g.tcp.push(s);
    },
  ],
  ['listeners.ssl', (s, r, g) => { g.sslNone = r.oneOf(s, ['none']) === 'none'; }],
  [
    'listeners.ssl.*',
    (s, r, g) => {
      r.listenAddress(s);
      g.ssl.push(s);
    },
  ],
  ['ssl_options', (s, r) => { r.oneOf(s, ['none']); }],
  ...tlsKeys('ssl_options', (g) => g.sslOptions),
  ['management.tcp.port', (s, r, g) => { g.managementTcpPort = r.integer(s, 0, 65535); }],
  ['management.tcp.ip', (s, r, g) => { g.o.managementHost = r.ip(s); }],
  [
    'management.ssl.port',
    (s, r, g) => {
      r.integer(s, 0, 65535);
      g.managementSsl.port = s;
    },
  ],
  ['management.ssl.ip', (s, r, g) => { g.managementSsl.ip = r.ip(s); }],
  ...tlsKeys('management.ssl', (g) => g.managementSsl),
  ['default_user', (s, _r, g) => { g.o.defaultUser = s.value; }],
  ['default_pass', (s, _r, g) => { g.o.defaultPass = s.value; }],
  ['default_vhost', (s, _r, g) => { g.o.defaultVhost = s.value; }],
  ['loopback_users', (s, r, g) => { g.loopbackNone = r.oneOf(s, ['none']) === 'none'; }],
  ['loopback_users.*', (s, r, g) => { g.loopback.set(s.path[1], r.bool(s)); }],
  // tune values: heartbeat and channel_max are shorts on the wire, frame_max a long
  ['heartbeat', (s, r, g) => { g.o.heartbeat = r.integer(s, 0, 65535); }],
  [
    'frame_max',
    (s, r, g) => {
      const n = r.bytesize(s);
      // RabbitMQ reads 0 as "no limit"; Warren needs a bound to check frames against
      if (n < 4096 || n > 0xffffffff) throw r.bad(s, 'must be between 4096 and 4294967295 bytes (0, "no limit", is not supported)');
      g.o.frameMax = n;
    },
  ],
  // channel_max = 0 means "no limit" in RabbitMQ: the protocol's own limit, 65535
  ['channel_max', (s, r, g) => { g.o.channelMax = r.integer(s, 0, 65535) || 65535; }],
  [
    'max_message_size',
    (s, r, g) => {
      if (!/^\d+$/.test(s.value) || Number(s.value) < 1 || Number(s.value) > 536870912) throw r.bad(s, 'Max message size should be between 0 and 512MB');
      g.o.maxMessageSize = Number(s.value);
    },
  ],
  ['handshake_timeout', (s, r, g) => { g.o.handshakeTimeout = s.value === 'infinity' ? 2 ** 31 - 1 : r.integer(s, 1, 2 ** 31 - 1); }],
  ['vm_memory_high_watermark.relative', (s, r, g) => { g.memRelative = nonNegative(r, s); }],
  ['vm_memory_high_watermark.absolute', (s, r, g) => { g.memAbsolute = r.informationUnit(s); }],
  [
    'vm_memory_high_watermark_paging_ratio',
    (s, r, g) => {
      const f = r.float(s);
      if (!(f > 0 && f < 1)) throw r.bad(s, 'Float is not between 0 and 1');
      g.o.vmMemoryHighWatermarkPagingRatio = f;
    },
  ],
  ['disk_free_limit.relative', (s, r, g) => { g.diskRelative = nonNegative(r, s); }],
  ['disk_free_limit.absolute', (s, r, g) => { g.diskAbsolute = r.informationUnit(s); }],
  // the bound is setTimeout's: a longer delay would fire at once
  ['consumer_timeout', (s, r, g) => { g.o.consumerTimeout = r.integer(s, 1, 2 ** 31 - 1); }],
  ['log.console', (s, r, g) => { g.logConsole = r.bool(s); }],
  ['log.console.level', (s, r, g) => { g.logConsoleLevel = LOG_LEVELS[r.oneOf(s, LEVEL_NAMES)]; }],
  [
    'log.file',
    (s, r, g) => {
      g.logFile = s.value !== 'false';
      if (g.logFile) r.warn(s, 'Warren logs to standard output only (redirect it to a file); the path is ignored, log.file.level still applies');
    },
  ],
  ['log.file.level', (s, r, g) => { g.logFileLevel = LOG_LEVELS[r.oneOf(s, LEVEL_NAMES)]; }],
  ['log.default.level', (s, r, g) => { g.logDefaultLevel = LOG_LEVELS[r.oneOf(s, LEVEL_NAMES)]; }],
  ['load_definitions', (s, r, g) => { g.loadDefinitions = r.readableFile(s); }],
  ['definitions.local.path', (s, r, g) => { g.definitionsLocalPath = r.readableFile(s); }],
  ['definitions.import_backend', (s, _r, g) => { g.definitionsBackend = s; }],
  ['management.load_definitions', (s, r, g) => { g.managementLoadDefinitions = r.readableFile(s); }],
];

function nonNegative(r: Reader, s: Setting): number {
  const f = r.float(s);
  if (f < 0) throw r.bad(s, 'must not be negative');
  return f;
}

// --- recognised, not applied -------------------------------------------------------------------------

/** Expands `a.{b,c.{d,e}}` into a.b, a.c.d, a.c.e. */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  let close = -1;
  const cuts: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      close = i;
      break;
    } else if (c === ',' && depth === 1) cuts.push(i);
  }
  if (close < 0) throw new Error(`unbalanced braces in ${pattern}`);
  const parts: string[] = [];
  let from = open + 1;
  for (const cut of [...cuts, close]) {
    parts.push(pattern.slice(from, cut));
    from = cut + 1;
  }
  const head = pattern.slice(0, open);
  const tails = expandBraces(pattern.slice(close + 1));
  return parts.flatMap((p) => expandBraces(p).flatMap((mid) => tails.map((t) => head + mid + t)));
}

const FORMATTER = 'formatter,formatter.{time_format,level_format,single_line,plaintext.format,json.field_map,json.verbosity_map}';
const ERLANG_TLS = 'cacerts.*,cert,client_renegotiation,crl_check,depth,dh,dhfile,honor_cipher_order,honor_ecc_order,key.{RSAPrivateKey,DSAPrivateKey,PrivateKeyInfo},log_level,log_alert,password,psk_identity,reuse_sessions,secure_renegotiate,versions.*,ciphers.*,bypass_pem_cache';
const COWBOY = 'compress,idle_timeout,inactivity_timeout,request_timeout,shutdown_timeout,max_keepalive';
const ROTATION = 'rotation.{date,compress,size,count}';

/**
 * The rest of RabbitMQ 3.10's schema (rabbit, rabbitmq_management(_agent), rabbitmq_prometheus,
 * peer discovery) with the reason Warren does not apply each group.
 */
const RECOGNISED: Array<[string, string]> = [
  ['num_acceptors.{ssl,tcp},socket_writer.gc_threshold,reverse_dns_lookups,tcp_listen_options,tcp_listen_options.{backlog,nodelay,buffer,delay_send,dontroute,exit_on_close,fd,high_msgq_watermark,high_watermark,keepalive,low_msgq_watermark,low_watermark,port,priority,recbuf,send_timeout,send_timeout_close,sndbuf,tos,linger.on,linger.timeout},proxy_protocol', 'Erlang socket tuning; Node.js manages its sockets'],
  [`ssl_options.{${ERLANG_TLS}},ssl_allow_poodle_attack,ssl_handshake_timeout`, 'TLS tuning Warren does not offer: Node.js defaults apply (TLS 1.2+, its cipher list, 5 s handshake)'],
  ['auth_mechanisms.*,auth_backends.*,auth_backends.*.{authn,authz},ssl_cert_login_from,ssl_cert_login_san_type,ssl_cert_login_san_index,password_hashing_module,credential_validator.{validation_backend,min_length,regexp}', 'Warren authenticates with PLAIN/AMQPLAIN against its internal users only'],
  ['default_permissions.{configure,read,write},default_user_tags.*', 'the default user always gets administrator and ".*" ".*" ".*" on the default vhost'],
  ['initial_frame_max,connection_max', 'not implemented'],
  ['memory_monitor_interval,vm_memory_calculation_strategy,total_memory_available_override_value', 'Warren samples its RSS every second against the total RAM'],
  ['cluster_name,cluster_partition_handling,cluster_partition_handling.pause_if_all_down.{recover,nodes.*},cluster_keepalive_interval,delegate_count,mirroring_sync_batch_size,mirroring_sync_max_throughput,queue_master_locator,queue_leader_locator,net_ticktime,distribution.listener.{port_range.min,port_range.max,interface},erlang.K', 'Warren is a single node, not a cluster'],
  ['cluster_formation.{peer_discovery_backend,node_type,randomized_startup_delay_range.min,randomized_startup_delay_range.max,internal_lock_retries,lock_retry_limit,lock_retry_timeout,discovery_retry_limit,discovery_retry_interval,target_cluster_size_hint,classic_config.nodes.*,dns.hostname,node_cleanup.interval,node_cleanup.only_log_warning,proxy.http_proxy,proxy.https_proxy,proxy.proxy_exclusions.*}', 'Warren is a single node, not a cluster'],
  ['default_worker_pool_size,collect_statistics,collect_statistics_interval,hipe_compile,mnesia_table_loading_retry_timeout,mnesia_table_loading_retry_limit,message_store_shutdown_timeout,queue_index_embed_msgs_below,background_gc_enabled,background_gc_target_interval,vhost_restart_strategy,classic_queue.default_version,quorum_queue.compute_checksums,raft.{segment_max_entries,wal_max_size_bytes,wal_max_entries,wal_hibernate_after,wal_max_batch_size,snapshot_chunk_size,data_dir},sysmon_handler.thresholds.{busy_processes,busy_ports},sysmon_handler.triggers.{process.garbage_collection,process.long_scheduled_execution,process.heap_size,port,distribution_port}', "RabbitMQ (Erlang) internals with no counterpart in Warren"],
  ['product.name,product.version,motd_file', 'not implemented'],
  ['definitions.{skip_if_unchanged,hashing.algorithm,https.url},definitions.tls.{verify,fail_if_no_peer_cert,cacertfile,certfile,cacerts.*,cert,reuse_session,crl_check,depth,dh,keyfile,log_alert,password,secure_renegotiate,reuse_sessions,versions.*,ciphers.*,log_level}', 'Warren imports definitions from local files only (load_definitions), at every boot'],
  [`log.dir,log.console.{stdio,use_colors,color_esc_seqs.{debug,info,notice,warning,error,critical,alert,emergency},${FORMATTER}},log.file.{${ROTATION},${FORMATTER}}`, 'Warren writes JSON lines (pino) to standard output'],
  [`log.exchange,log.exchange.{level,${FORMATTER}},log.journald,log.journald.{level,fields},log.syslog,log.syslog.{level,${FORMATTER},identity,facility,multiline_mode,ip,host,port,transport,protocol},log.syslog.ssl_options.{verify,fail_if_no_peer_cert,cacertfile,certfile,keyfile,${ERLANG_TLS}}`, 'Warren writes its log to standard output only'],
  [`log.{connection,channel,mirroring,queue,federation,upgrade,ra}.{level,file,${ROTATION}},log.default.${ROTATION}`, 'Warren has one log with one level'],
  [`management.{http_log_dir,http.max_body_size,path_prefix,login_session_timeout,db_cache_multiplier,cors.allow_origins,cors.allow_origins.*,cors.max_age,csp.policy,hsts.policy,headers.content_type_options,headers.xss_protection,headers.frame_options,disable_basic_auth,disable_stats,enable_queue_totals,enable_uaa,uaa_client_id,uaa_location,rates_mode,sample_retention_policies.*.*},management_agent.{disable_metrics_collector,filter_aggregated_queue_metrics_pattern}`, 'management API option Warren does not offer'],
  [`management.tcp.{${COWBOY}},management.ssl.{backlog,password,honor_cipher_order,honor_ecc_order,reuse_sessions,secure_renegotiate,client_renegotiation,depth,versions.*,ciphers.*,${COWBOY}}`, 'HTTP server tuning Warren does not offer'],
  [`management.listener.{port,ip,ssl,server.{${COWBOY}},ssl_opts,ssl_opts.{verify,fail_if_no_peer_cert,cacertfile,certfile,keyfile,${ERLANG_TLS}}}`, 'the legacy management.listener.* form is not supported: use management.tcp.* and management.ssl.*'],
  [`prometheus.{return_per_object_metrics,path,filter_aggregated_queue_metrics_pattern,tcp.{port,ip,${COWBOY}},ssl.{port,backlog,ip,certfile,keyfile,cacertfile,password,verify,fail_if_no_peer_cert,honor_cipher_order,honor_ecc_order,reuse_sessions,secure_renegotiate,client_renegotiation,depth,versions.*,ciphers.*,${COWBOY}}}`, 'Warren serves /metrics on the management port'],
];

/** Key prefixes of RabbitMQ plugins Warren does not include. */
const PLUGINS: Array<[string, string]> = [
  ['mqtt', 'rabbitmq_mqtt'],
  ['web_mqtt', 'rabbitmq_web_mqtt'],
  ['stomp', 'rabbitmq_stomp'],
  ['web_stomp', 'rabbitmq_web_stomp'],
  ['stream', 'rabbitmq_stream'],
  ['amqp1_0', 'rabbitmq_amqp1_0'],
  ['auth_ldap', 'rabbitmq_auth_backend_ldap'],
  ['auth_http', 'rabbitmq_auth_backend_http'],
  ['auth_oauth2', 'rabbitmq_auth_backend_oauth2'],
  ['auth_cache', 'rabbitmq_auth_backend_cache'],
  ['trust_store', 'rabbitmq_trust_store'],
  ['event_exchange', 'rabbitmq_event_exchange'],
  ['aws', 'rabbitmq_aws'],
  ['cluster_formation.aws', 'rabbitmq_peer_discovery_aws'],
  ['cluster_formation.consul', 'rabbitmq_peer_discovery_consul'],
  ['cluster_formation.etcd', 'rabbitmq_peer_discovery_etcd'],
  ['cluster_formation.k8s', 'rabbitmq_peer_discovery_k8s'],
];

interface Rule {
  pattern: string[];
  apply?: Apply;
  ignored?: string;
}

function matches(pattern: string[], path: string[]): boolean {
  return pattern.length === path.length && pattern.every((p, i) => p === '*' || p === path[i]);
}

const RULES: Rule[] = [
  ...APPLIED.map(([p, apply]) => ({ pattern: p.split('.'), apply })),
  ...RECOGNISED.flatMap(([group, why]) => expandBraces(`{${group}}`).map((p) => ({ pattern: p.split('.'), ignored: why }))),
];

/** Every key Warren recognises, `*` standing for a name (for docs and "did you mean"). */
export function recognisedKeys(): { applied: string[]; ignored: Array<[string, string]>; plugins: Array<[string, string]> } {
  return {
    applied: APPLIED.map(([p]) => p),
    ignored: RULES.filter((r) => r.ignored).map((r): [string, string] => [r.pattern.join('.'), r.ignored as string]),
    plugins: PLUGINS,
  };
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The recognised key closest to a mistyped one, if any is close. */
function suggestion(path: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4; // more edits than this is a different key, not a typo
  for (const r of RULES) {
    if (r.pattern.length !== path.length) continue;
    const candidate = r.pattern.map((p, i) => (p === '*' ? path[i] : p)).join('.');
    const d = editDistance(candidate, path.join('.'));
    if (d > 0 && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

// --- the whole file ------------------------------------------------------------------------------

/** Checks and applies parsed settings; throws ConfigFileError on the first problem. */
export function settingsToOptions(settings: Setting[], file: string): ConfigFileResult {
  const r = new Reader(file);
  const g: Gathered = {
    o: {},
    tcp: [],
    ssl: [],
    sslNone: false,
    sslOptions: {},
    managementSsl: {},
    managementSslSettings: [],
    loopbackNone: false,
    loopback: new Map(),
  };
  for (const s of settings) {
    const rule = RULES.find((x) => matches(x.pattern, s.path));
    if (rule?.apply) {
      if (s.key.startsWith('management.ssl.')) g.managementSslSettings.push(s);
      rule.apply(s, r, g);
    } else if (rule?.ignored) {
      r.warn(s, `recognised RabbitMQ setting that Warren does not apply (${rule.ignored}); ignored`);
    } else {
      const joined = s.path.join('.');
      const plugin = PLUGINS.find(([prefix]) => joined.startsWith(`${prefix}.`));
      if (plugin) {
        r.warn(s, `setting of the RabbitMQ plugin ${plugin[1]}, which Warren does not include; ignored`);
        continue;
      }
      const hint = suggestion(s.path);
      // RabbitMQ: "You've tried to set <key>, but there is no setting with that name."
      throw new ConfigFileError(`${file}:${s.line}: unknown setting '${s.key}': there is no setting with that name${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
  }
  finish(r, g);
  return { options: g.o, warnings: r.warnings };
}

/** The settings that only make sense together. */
function finish(r: Reader, g: Gathered): void {
  const o = g.o;
  // listeners: Warren has one plain and at most one TLS listener
  if (g.tcpNone) {
    throw r.bad(g.tcpNone, 'Warren always runs a plain AMQP listener; to keep it private bind it to loopback, e.g. listeners.tcp.default = 127.0.0.1:5672');
  }
  if (g.tcp.length > 1) throw r.bad(g.tcp[1], `Warren listens on one TCP address (${g.tcp[0].key} is already set on line ${g.tcp[0].line})`);
  if (g.tcp.length === 1) {
    const a = r.listenAddress(g.tcp[0]);
    o.port = a.port;
    if (a.host !== undefined) o.host = a.host;
  }
  if (!g.sslNone && g.ssl.length > 1) throw r.bad(g.ssl[1], `Warren has one TLS listener (${g.ssl[0].key} is already set on line ${g.ssl[0].line})`);
  if (!g.sslNone && g.ssl.length === 1) o.tls = tlsListener(r, g.ssl[0], r.listenAddress(g.ssl[0]), g.sslOptions, 'ssl_options');

  // management: RabbitMQ serves HTTPS only when management.ssl.port is set and management.tcp.port is not
  if (g.managementTcpPort !== undefined) o.managementPort = g.managementTcpPort;
  const mgmtPort = g.managementSsl.port;
  if (mgmtPort) {
    o.managementTls = tlsListener(r, mgmtPort, { host: g.managementSsl.ip, port: Number(mgmtPort.value) }, g.managementSsl, 'management.ssl');
    if (g.managementTcpPort === undefined) o.managementPort = 0;
  } else if (g.managementSslSettings.length > 0) {
    r.warn(g.managementSslSettings[0], 'management.ssl.* without management.ssl.port: no HTTPS listener is started');
  }

  if (g.loopbackNone) o.loopbackUsers = [];
  else if (g.loopback.size > 0) o.loopbackUsers = [...g.loopback].filter(([, on]) => on).map(([user]) => user);

  // a relative limit wins over an absolute one, as in RabbitMQ's translation
  if (g.memRelative !== undefined) {
    // Warren reads a watermark ≤ 1 as a fraction of RAM and a larger one as bytes
    o.vmMemoryHighWatermark = g.memRelative <= 1 ? g.memRelative : Math.floor(totalmem() * g.memRelative);
  } else if (g.memAbsolute !== undefined) {
    // 0 or 1 byte would read as a fraction; both mean "always over the limit"
    o.vmMemoryHighWatermark = Math.max(g.memAbsolute, 2);
  }
  if (g.diskRelative !== undefined) o.diskFreeLimit = Math.floor(totalmem() * g.diskRelative);
  else if (g.diskAbsolute !== undefined) o.diskFreeLimit = g.diskAbsolute;

  const level = logLevel(g);
  if (level !== undefined) o.logLevel = level;

  if (g.definitionsBackend && !['local_filesystem', 'local', 'rabbitmq_definitions_import_local_filesystem', 'rabbit_definitions_import_local_filesystem'].includes(g.definitionsBackend.value)) {
    r.warn(g.definitionsBackend, 'Warren imports definitions from local files only; this backend is ignored');
    g.definitionsLocalPath = undefined;
  }
  const defs = g.loadDefinitions ?? g.definitionsLocalPath ?? g.managementLoadDefinitions;
  if (defs !== undefined) o.loadDefinitions = defs;
}

function tlsListener(r: Reader, at: Setting, address: { host?: string; port: number }, parts: TlsParts, prefix: string): TlsOptions {
  if (!parts.certfile || !parts.keyfile) throw r.bad(at, `a TLS listener needs ${prefix}.certfile and ${prefix}.keyfile`);
  if (parts.verify === 'verify_peer' && !parts.cacertfile) r.warn(at, `verify_peer without ${prefix}.cacertfile: client certificates are checked against Node.js's public CA list`);
  const tls: TlsOptions = { port: address.port, certfile: parts.certfile, keyfile: parts.keyfile };
  if (address.host !== undefined) tls.host = address.host;
  if (parts.cacertfile !== undefined) tls.cacertfile = parts.cacertfile;
  tls.verify = parts.verify ?? 'verify_none';
  tls.failIfNoPeerCert = parts.failIfNoPeerCert ?? false;
  return tls;
}

/**
 * Warren has one log, on standard output. Its level: log.console.level, else log.file.level (RabbitMQ
 * logs to a file by default, so that is often the level people tune), else log.default.level. With
 * both the console and the file switched off, nothing is logged.
 */
function logLevel(g: Gathered): LogLevel | undefined {
  if (g.logConsole === false && g.logFile === false) return 'silent';
  if (g.logConsole !== false && g.logConsoleLevel !== undefined) return g.logConsoleLevel;
  return g.logFileLevel ?? g.logDefaultLevel;
}

/** Parses and checks rabbitmq.conf text. */
export function configFromText(text: string, file: string): ConfigFileResult {
  return settingsToOptions(parseConfigText(text, file), file);
}

/** Reads and checks a rabbitmq.conf file. */
export function loadConfigFile(path: string): ConfigFileResult {
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigFileError(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return configFromText(text, path);
}
