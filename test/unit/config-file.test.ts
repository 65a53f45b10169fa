// src/config-file.ts: rabbitmq.conf syntax (as cuttlefish reads it) and the mapping of each key
// onto BrokerOptions, its checks, and how unknown and not-applied keys are reported. The process
// side (flags over file, exit codes, effects over AMQP) is in test/integration/config-file.test.ts.
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ConfigFileError, configFromText, expandBraces, parseConfigText, recognisedKeys } from '../../src/config-file.js';

const FILE = '/etc/warren/rabbitmq.conf';
/** Any readable file will do where a setting wants a certificate path. */
const READABLE = fileURLToPath(import.meta.url);

function options(...lines: string[]) {
  return configFromText(lines.join('\n'), FILE).options;
}

function warnings(...lines: string[]): string[] {
  return configFromText(lines.join('\n'), FILE).warnings;
}

function error(...lines: string[]): string {
  try {
    configFromText(lines.join('\n'), FILE);
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, `a ConfigFileError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`expected an error for ${JSON.stringify(lines)}`);
}

describe('rabbitmq.conf syntax', () => {
  test('comments, blank lines, CRLF, a BOM, spaces and tabs around =, trailing comments', () => {
    const s = parseConfigText('\uFEFF# a comment\r\n\r\n   \t\n  heartbeat\t=  30   # trailing comment\r\nchannel_max=10\n  # indented comment\n', FILE);
    assert.deepEqual(
      s.map(({ key, value, line }) => ({ key, value, line })),
      [
        { key: 'heartbeat', value: '30', line: 4 },
        { key: 'channel_max', value: '10', line: 5 },
      ],
    );
  });

  test("a quoted value keeps '#' and spaces; an unquoted one ends at '#'", () => {
    const s = parseConfigText("default_pass = 'p#ss word'  # comment\ndefault_user = bob#not a comment\n", FILE);
    assert.equal(s[0].value, 'p#ss word');
    assert.equal(s[1].value, 'bob');
  });

  test('dotted keys split into parts; an escaped dot stays inside its part', () => {
    const [s] = parseConfigText('loopback_users.first\\.last = true', FILE);
    assert.deepEqual(s.path, ['loopback_users', 'first.last']);
  });

  test('the last setting of a key wins', () => {
    assert.equal(options('heartbeat = 10', 'heartbeat = 20').heartbeat, 20);
  });

  test('syntax errors name the file and line', () => {
    assert.equal(error('heartbeat = 1', 'heartbeat'), `${FILE}:2: syntax error: expected '=' after 'heartbeat'`);
    assert.equal(error('heartbeat ='), `${FILE}:1: syntax error: no value for 'heartbeat'`);
    assert.equal(error("default_pass = 'open"), `${FILE}:1: syntax error: unterminated quoted value`);
    assert.equal(error("default_pass = 'a' b"), `${FILE}:1: syntax error: unexpected 'b' after the quoted value`);
    assert.match(error('include /etc/rabbitmq/conf.d/*.conf'), /:1: syntax error: 'include' directives are not supported/);
    assert.match(error('= 5'), /:1: syntax error: expected 'key = value', got '= 5'/);
  });
});

describe('keys Warren applies', () => {
  test('a typical file maps onto BrokerOptions', () => {
    assert.deepEqual(
      options(
        'listeners.tcp.default = 10.0.0.5:5673',
        'management.tcp.port = 15673',
        'management.tcp.ip = 127.0.0.1',
        'default_user = admin',
        'default_pass = secret',
        'default_vhost = prod',
        'heartbeat = 30',
        'frame_max = 131072',
        'channel_max = 100',
        'max_message_size = 16777216',
        'handshake_timeout = 5000',
        'vm_memory_high_watermark.relative = 0.6',
        'vm_memory_high_watermark_paging_ratio = 0.75',
        'disk_free_limit.absolute = 2GB',
        'consumer_timeout = 900000',
        'log.console.level = warning',
        'loopback_users.guest = false',
      ),
      {
        port: 5673,
        host: '10.0.0.5',
        managementPort: 15673,
        managementHost: '127.0.0.1',
        defaultUser: 'admin',
        defaultPass: 'secret',
        defaultVhost: 'prod',
        heartbeat: 30,
        frameMax: 131072,
        channelMax: 100,
        maxMessageSize: 16777216,
        handshakeTimeout: 5000,
        vmMemoryHighWatermark: 0.6,
        vmMemoryHighWatermarkPagingRatio: 0.75,
        diskFreeLimit: 2_000_000_000,
        consumerTimeout: 900000,
        logLevel: 'warn',
        loopbackUsers: [],
      },
    );
  });

  test('listener addresses: a port, ip:port, IPv6 with or without brackets', () => {
    assert.deepEqual(options('listeners.tcp.default = 5672'), { port: 5672 });
    assert.deepEqual(options('listeners.tcp.default = :::5672'), { port: 5672, host: '::' });
    assert.deepEqual(options('listeners.tcp.local = [::1]:5673'), { port: 5673, host: '::1' });
    assert.match(error('listeners.tcp.default = 70000'), /not a port or ip:port/);
    assert.match(error('listeners.tcp.default = 1.2.3:5672'), /'1\.2\.3' is not an IP address/);
  });

  test('one TCP listener only, and it cannot be switched off', () => {
    assert.equal(error('listeners.tcp.1 = 127.0.0.1:5672', 'listeners.tcp.2 = ::1:5672'), `${FILE}:2: listeners.tcp.2 = ::1:5672: Warren listens on one TCP address (listeners.tcp.1 is already set on line 1)`);
    assert.match(error('listeners.tcp = none'), /:1: listeners\.tcp = none: Warren always runs a plain AMQP listener/);
  });

  test('memory and disk limits: information units, relative values, relative winning over absolute', () => {
    assert.equal(options('disk_free_limit.absolute = 50MB').diskFreeLimit, 50_000_000);
    assert.equal(options('disk_free_limit.absolute = 512MiB').diskFreeLimit, 512 * 1024 * 1024);
    assert.equal(options('disk_free_limit.absolute = 1k').diskFreeLimit, 1024);
    assert.equal(options('disk_free_limit.absolute = 1000000').diskFreeLimit, 1_000_000);
    assert.equal(options('disk_free_limit.relative = 1.5').diskFreeLimit, Math.floor(totalmem() * 1.5));
    assert.equal(options('disk_free_limit.absolute = 1GB', 'disk_free_limit.relative = 2.0').diskFreeLimit, Math.floor(totalmem() * 2));
    assert.equal(options('vm_memory_high_watermark.absolute = 2GiB').vmMemoryHighWatermark, 2 * 1024 ** 3);
    assert.equal(options('vm_memory_high_watermark.absolute = 1GB', 'vm_memory_high_watermark.relative = 0.5').vmMemoryHighWatermark, 0.5);
    // above 1 Warren would read a fraction as bytes: a relative watermark over 1 becomes bytes
    assert.equal(options('vm_memory_high_watermark.relative = 1.5').vmMemoryHighWatermark, Math.floor(totalmem() * 1.5));
    assert.match(error('vm_memory_high_watermark.absolute = 1TB'), /not an amount of bytes/);
    assert.match(error('vm_memory_high_watermark.relative = -0.1'), /must not be negative/);
  });

  test('frame_max takes byte sizes; 0 (no limit) and less than 4096 are refused', () => {
    assert.equal(options('frame_max = 128KB').frameMax, 131072);
    assert.equal(options('frame_max = 1mb').frameMax, 1048576);
    assert.match(error('frame_max = 0'), /must be between 4096 and 4294967295 bytes/);
    assert.match(error('frame_max = 1000'), /must be between 4096/);
  });

  test('channel_max = 0 (no limit) means 65535; heartbeat and max_message_size are range-checked', () => {
    assert.equal(options('channel_max = 0').channelMax, 65535);
    assert.equal(options('heartbeat = 0').heartbeat, 0);
    assert.match(error('heartbeat = 70000'), /must be between 0 and 65535/);
    assert.match(error('max_message_size = 600000000'), /Max message size should be between 0 and 512MB/);
    assert.equal(options('handshake_timeout = infinity').handshakeTimeout, 2 ** 31 - 1);
    assert.match(error('consumer_timeout = 0'), /must be between 1 and/);
  });

  test('loopback_users: none, per-user switches (only users set to true remain)', () => {
    assert.deepEqual(options('loopback_users = none').loopbackUsers, []);
    assert.deepEqual(options('loopback_users.guest = false').loopbackUsers, []);
    assert.deepEqual(options('loopback_users.guest = true', 'loopback_users.ops = true', 'loopback_users.dev = false').loopbackUsers, ['guest', 'ops']);
    assert.equal(options('heartbeat = 5').loopbackUsers, undefined, 'untouched: the default (guest) stays');
  });

  test('log levels: RabbitMQ names map to pino; console first, then file, then default; both off is silent', () => {
    assert.equal(options('log.console.level = debug').logLevel, 'debug');
    assert.equal(options('log.console.level = notice').logLevel, 'info');
    assert.equal(options('log.console.level = critical').logLevel, 'fatal');
    assert.equal(options('log.console.level = none').logLevel, 'silent');
    assert.equal(options('log.file.level = error').logLevel, 'error');
    assert.equal(options('log.default.level = warning').logLevel, 'warn');
    assert.equal(options('log.file.level = error', 'log.console.level = debug').logLevel, 'debug');
    assert.equal(options('log.console = false', 'log.console.level = debug', 'log.file.level = error').logLevel, 'error');
    assert.equal(options('log.console = false', 'log.file = false').logLevel, 'silent');
    assert.match(error('log.console.level = loud'), /must be one of debug, info, notice, warning, error, critical, alert, emergency, none/);
    assert.match(warnings('log.file = /var/log/rabbitmq/rabbit.log')[0], /:1: log\.file: Warren logs to standard output only/);
  });

  test('an AMQPS listener from listeners.ssl.* and ssl_options.*', () => {
    assert.deepEqual(
      options(
        'listeners.ssl.default = 5671',
        `ssl_options.cacertfile = ${READABLE}`,
        `ssl_options.certfile = ${READABLE}`,
        `ssl_options.keyfile = ${READABLE}`,
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = true',
      ).tls,
      { port: 5671, certfile: READABLE, keyfile: READABLE, cacertfile: READABLE, verify: 'verify_peer', failIfNoPeerCert: true },
    );
    assert.deepEqual(options('listeners.ssl.default = 127.0.0.1:5671', `ssl_options.certfile = ${READABLE}`, `ssl_options.keyfile = ${READABLE}`).tls, {
      port: 5671,
      host: '127.0.0.1',
      certfile: READABLE,
      keyfile: READABLE,
      verify: 'verify_none',
      failIfNoPeerCert: false,
    });
    assert.equal(options('listeners.ssl = none', 'listeners.ssl.default = 5671').tls, undefined);
    assert.equal(options(`ssl_options.certfile = ${READABLE}`).tls, undefined, 'ssl_options alone open no listener');
    assert.match(error('listeners.ssl.default = 5671', `ssl_options.certfile = ${READABLE}`), /:1: listeners\.ssl\.default = 5671: a TLS listener needs ssl_options\.certfile and ssl_options\.keyfile/);
    assert.match(error('ssl_options.keyfile = /no/such/key.pem'), /:1: ssl_options\.keyfile = \/no\/such\/key\.pem: file does not exist or cannot be read/);
    assert.match(error('ssl_options.fail_if_no_peer_cert = yes'), /must be true or false/);
  });

  test('management over TLS: management.ssl.* fills managementTls; without management.tcp.port HTTP is off, as in RabbitMQ', () => {
    const tlsOnly = options('management.ssl.port = 15671', `management.ssl.certfile = ${READABLE}`, `management.ssl.keyfile = ${READABLE}`, 'management.ssl.ip = 127.0.0.1');
    assert.deepEqual(tlsOnly, {
      managementPort: 0,
      managementTls: { port: 15671, host: '127.0.0.1', certfile: READABLE, keyfile: READABLE, verify: 'verify_none', failIfNoPeerCert: false },
    });
    const both = options('management.tcp.port = 15672', 'management.ssl.port = 15671', `management.ssl.certfile = ${READABLE}`, `management.ssl.keyfile = ${READABLE}`);
    assert.equal(both.managementPort, 15672);
    assert.equal(both.managementTls?.port, 15671);
    assert.match(warnings(`management.ssl.certfile = ${READABLE}`)[0], /management\.ssl\.\* without management\.ssl\.port: no HTTPS listener/);
  });

  test('definitions: load_definitions, then definitions.local.path, then management.load_definitions', () => {
    assert.equal(options(`load_definitions = ${READABLE}`).loadDefinitions, READABLE);
    assert.equal(options('definitions.import_backend = local_filesystem', `definitions.local.path = ${READABLE}`).loadDefinitions, READABLE);
    assert.equal(options(`management.load_definitions = ${READABLE}`).loadDefinitions, READABLE);
    assert.match(error('load_definitions = /no/such/defs.json'), /file does not exist or cannot be read/);
    const https = configFromText(['definitions.import_backend = https', `definitions.local.path = ${READABLE}`].join('\n'), FILE);
    assert.equal(https.options.loadDefinitions, undefined);
    assert.match(https.warnings[0], /Warren imports definitions from local files only/);
  });

  test('a password never appears in an error message', () => {
    assert.doesNotMatch(error('default_pass: hunter2'), /hunter2/);
    assert.doesNotMatch(error("default_pass = 'hunter2"), /hunter2/);
  });
});

describe('keys Warren does not apply', () => {
  test('a key RabbitMQ 3.10 knows: a warning with file, line and reason', () => {
    assert.deepEqual(warnings('heartbeat = 5', 'cluster_formation.peer_discovery_backend = classic_config', 'tcp_listen_options.backlog = 128'), [
      `${FILE}:2: cluster_formation.peer_discovery_backend: recognised RabbitMQ setting that Warren does not apply (Warren is a single node, not a cluster); ignored`,
      `${FILE}:3: tcp_listen_options.backlog: recognised RabbitMQ setting that Warren does not apply (Erlang socket tuning; Node.js manages its sockets); ignored`,
    ]);
    assert.equal(warnings('ssl_options.versions.1 = tlsv1.2').length, 1);
    assert.equal(warnings('management.sample_retention_policies.global.minute = 5').length, 1);
  });

  test("a plugin's key: a warning naming the plugin", () => {
    assert.deepEqual(warnings('mqtt.listeners.tcp.default = 1883', 'cluster_formation.k8s.host = kubernetes.default'), [
      `${FILE}:1: mqtt.listeners.tcp.default: setting of the RabbitMQ plugin rabbitmq_mqtt, which Warren does not include; ignored`,
      `${FILE}:2: cluster_formation.k8s.host: setting of the RabbitMQ plugin rabbitmq_peer_discovery_k8s, which Warren does not include; ignored`,
    ]);
  });

  test('an unknown key is an error, with the nearest known key when it looks like a typo', () => {
    assert.equal(error('heartbeat = 5', 'log.console.levle = debug'), `${FILE}:2: unknown setting 'log.console.levle': there is no setting with that name (did you mean 'log.console.level'?)`);
    assert.equal(error('loopback_user.guest = false'), `${FILE}:1: unknown setting 'loopback_user.guest': there is no setting with that name (did you mean 'loopback_users.guest'?)`);
    assert.equal(error('totally_made_up = 1'), `${FILE}:1: unknown setting 'totally_made_up': there is no setting with that name`);
    assert.match(error('listeners.tcp.default.extra = 1'), /unknown setting 'listeners\.tcp\.default\.extra'/);
  });

  test('the recognised key list is sane: no key is both applied and ignored, brace expansion works', () => {
    assert.deepEqual(expandBraces('a.{b,c.{d,e}}.f'), ['a.b.f', 'a.c.d.f', 'a.c.e.f']);
    const { applied, ignored } = recognisedKeys();
    const ignoredKeys = new Set(ignored.map(([k]) => k));
    for (const k of applied) assert.ok(!ignoredKeys.has(k), `${k} is applied, not ignored`);
    assert.ok(ignoredKeys.has('log.file.rotation.count'), 'log.file.rotation.count is recognised');
    assert.ok(ignoredKeys.has('ssl_options.key.RSAPrivateKey'), 'ssl_options.key.RSAPrivateKey is recognised');
  });
});
