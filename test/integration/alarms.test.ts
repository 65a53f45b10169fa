// Resource alarms and the data directory's guards, on in-process brokers:
// - disk_free_limit above the free space: publishers are told connection.blocked ('low on disk') and
//   their publishes are held, while consumers keep receiving;
// - vm_memory_high_watermark below the broker's use: blocked with 'low on memory';
// - a data dir written by a newer storage format is refused with a clear error;
// - a data dir in use by another broker is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import amqp from 'amqplib';
import { Broker } from '../../src/index.js';
import { openConnection } from '../helpers/raw-client.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const fresh = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'warren-alarm-'));
  dirs.push(d);
  return d;
};
const url = (b: Broker): string => `amqp://guest:guest@127.0.0.1:${b.port}/%2F`;
const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_r, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);

/** Reads the reason of the connection.blocked a raw client gets right after opening. */
async function blockedReason(b: Broker): Promise<string> {
  const c = await openConnection('127.0.0.1', b.port);
  try {
    const f = await c.nextFrame(5000);
    assert.equal(f.payload.readUInt32BE(0), (10 << 16) | 60, 'connection.blocked');
    return f.payload.toString('utf8', 5, 5 + (f.payload[4] as number));
  } finally {
    c.destroy();
  }
}

test('disk alarm: publishers blocked and held, consumers keep flowing', { timeout: 30_000 }, async () => {
  const dir = fresh();
  // a message left by an earlier run, to consume during the alarm
  const first = await Broker.start({ port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent', managementPort: 0 });
  const c1 = await amqp.connect(url(first));
  const ch1 = await c1.createConfirmChannel();
  await ch1.assertQueue('alarm-q', { durable: true });
  ch1.sendToQueue('alarm-q', Buffer.from('from before'), { persistent: true });
  await ch1.waitForConfirms();
  await c1.close();
  await first.stop();

  const b = await Broker.start({ port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent', managementPort: 0, diskFreeLimit: Number.MAX_SAFE_INTEGER });
  try {
    assert.equal(await blockedReason(b), 'low on disk');
    const pub = await amqp.connect(url(b));
    const pch = await pub.createChannel();
    pch.sendToQueue('alarm-q', Buffer.from('during the alarm'), { persistent: true });
    const sub = await amqp.connect(url(b));
    const sch = await sub.createChannel();
    const got = await withTimeout(
      new Promise<string>((resolve) => {
        void sch.consume('alarm-q', (m) => m && resolve(m.content.toString()), { noAck: true });
      }),
      5000,
      'a delivery during the alarm',
    );
    assert.equal(got, 'from before');
    // the held publish must not arrive (a bounded wait proves absence)
    await new Promise((r) => setTimeout(r, 300));
    const probe = await (await amqp.connect(url(b))).createChannel();
    assert.equal((await probe.checkQueue('alarm-q')).messageCount, 0, 'the publish is held, not enqueued');
    await probe.connection.close();
    pub.on('error', () => {});
    await sub.close();
  } finally {
    await b.stop();
  }
});

test('memory alarm: clients are blocked with "low on memory"', { timeout: 20_000 }, async () => {
  const b = await Broker.start({ port: 0, host: '127.0.0.1', dataDir: fresh(), logLevel: 'silent', managementPort: 0, vmMemoryHighWatermark: 1000 });
  try {
    assert.equal(await blockedReason(b), 'low on memory');
  } finally {
    await b.stop();
  }
});

test('a data dir from a newer storage format is refused, not misread', async () => {
  const dir = fresh();
  writeFileSync(join(dir, 'format'), JSON.stringify({ format: 'warren', version: 99 }));
  await assert.rejects(Broker.start({ port: 0, dataDir: dir, logLevel: 'silent', managementPort: 0 }), /storage format 99, newer than this Warren understands/);
});

test('a data dir in use by another broker is refused', async () => {
  const dir = fresh();
  const b = await Broker.start({ port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent', managementPort: 0 });
  try {
    await assert.rejects(Broker.start({ port: 0, dataDir: dir, logLevel: 'silent', managementPort: 0 }), /already in use/);
  } finally {
    await b.stop();
  }
  const again = await Broker.start({ port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent', managementPort: 0 });
  await again.stop();
});
