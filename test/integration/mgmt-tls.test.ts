// The management API over HTTPS (management.ssl.*), with certificates the test generates: the
// listener is reported among the node's listeners, answers a client that presents a certificate
// from the trusted CA, and refuses one without a certificate when fail_if_no_peer_cert is set.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { makeTestCerts, opensslProblem, type TestCerts } from '../helpers/tls-certs.js';
import { HTTP_TIMEOUT_MS, type MgmtBroker, startMgmt } from './mgmt-helpers.js';

const skip = process.env.WARREN_TEST_MGMT_URL !== undefined ? 'runs against an in-process broker only' : (opensslProblem() ?? false);

let certs: TestCerts;
let b: MgmtBroker;
let httpsPort = 0;

before(async () => {
  if (skip) return;
  certs = makeTestCerts();
  b = await startMgmt({
    managementTls: { port: 0, host: '127.0.0.1', certfile: certs.serverCert, keyfile: certs.serverKey, cacertfile: certs.ca, verify: 'verify_peer', failIfNoPeerCert: true },
  });
  const status = (await b.api.get('/api/warren/status')).body as { listeners: { protocol: string; port: number }[] };
  httpsPort = status.listeners.find((l) => l.protocol === 'https')?.port ?? 0;
});
after(async () => {
  await b?.stop();
  certs?.remove();
});

/** GET over HTTPS as guest; `withCert` presents the trusted client certificate. */
function httpsGet(path: string, withCert: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: httpsPort,
        path,
        ca: readFileSync(certs.ca),
        ...(withCert ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } : {}),
        headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(HTTP_TIMEOUT_MS, () => req.destroy(new Error('HTTPS request timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('the HTTPS listener', { skip }, () => {
  test('is listed and answers a client with a trusted certificate', async () => {
    assert.ok(httpsPort > 0, 'an https listener is reported');
    const r = await httpsGet('/api/whoami', true);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { name: 'guest', tags: ['administrator'] });
  });

  test('refuses a client without a certificate (fail_if_no_peer_cert)', async () => {
    await assert.rejects(httpsGet('/api/whoami', false), 'the TLS handshake fails');
  });
});
