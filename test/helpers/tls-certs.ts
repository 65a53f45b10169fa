// Certificates for the TLS tests, made with the openssl command into a temporary directory: a CA,
// a server certificate for 127.0.0.1 / localhost, a client certificate from the same CA, and a
// client certificate from another CA the broker does not trust. EC P-256 keys keep it fast.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  /** the CA that signed the server and client certificates */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** a client certificate signed by a CA the broker does not know */
  rogueCert: string;
  rogueKey: string;
  /** removes the directory */
  remove(): void;
}

/** Bound for one openssl run (key generation on a loaded machine). */
const OPENSSL_TIMEOUT_MS = 20_000;
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Why openssl cannot run here, or null when it can. */
export function opensslProblem(): string | null {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8', timeout: OPENSSL_TIMEOUT_MS });
  if (r.error) return `openssl cannot run: ${r.error.message}`;
  return r.status === 0 ? null : `openssl version failed: ${r.stderr}`;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: OPENSSL_TIMEOUT_MS });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function makeLeaf(dir: string, name: string, ca: string, extensions: string[]): void {
  openssl(dir, ['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  const serial = `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`;
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
}

/** Generates the whole set; the caller calls remove() when done. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
  try {
    makeCa(dir, 'warren-test-ca');
    makeCa(dir, 'rogue-ca');
    const leaf = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
    makeLeaf(dir, 'server', 'warren-test-ca', [...leaf, 'extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    makeLeaf(dir, 'client', 'warren-test-ca', [...leaf, 'extendedKeyUsage=clientAuth']);
    makeLeaf(dir, 'rogue-client', 'rogue-ca', [...leaf, 'extendedKeyUsage=clientAuth']);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const err = e as Error & { stderr?: Buffer };
    throw new Error(`openssl failed: ${err.message}\n${err.stderr?.toString() ?? ''}`);
  }
  const p = (f: string): string => join(dir, f);
  return {
    dir,
    ca: p('warren-test-ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    rogueCert: p('rogue-client.pem'),
    rogueKey: p('rogue-client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
