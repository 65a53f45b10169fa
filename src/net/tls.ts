// AMQP over TLS (RabbitMQ's listeners.ssl + ssl_options): a node:tls server whose decrypted
// sockets go to the same Connection class as plain ones (a tls.TLSSocket is a net.Socket).
// Peer verification follows Erlang's ssl options as RabbitMQ uses them:
//   verify_none                                   no client certificate is asked for
//   verify_peer, fail_if_no_peer_cert = false     asked for; one that does not verify is refused,
//                                                 a client without one is let in
//   verify_peer, fail_if_no_peer_cert = true      a client without a valid certificate is refused
import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { TlsOptions } from '../config.js';
import type { Logger } from '../log.js';

/** RabbitMQ's ssl_handshake_timeout default: a client gets 5 s to finish the TLS handshake. */
const TLS_HANDSHAKE_TIMEOUT_MS = 5000;

/** Reads the certificate files (throws with the path on a missing or unreadable one). */
function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read TLS ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * A TLS server that hands every accepted, verified socket to `accept`. Not listening yet: the
 * caller listens on o.port / o.host.
 */
export function createTlsServer(o: TlsOptions, log: Logger, accept: (socket: TLSSocket) => void): Server {
  const verifyPeer = o.verify === 'verify_peer';
  const server = createServer(
    {
      cert: readPem(o.certfile, 'certificate'),
      key: readPem(o.keyfile, 'key'),
      ca: o.cacertfile ? readPem(o.cacertfile, 'CA certificate') : undefined,
      requestCert: verifyPeer,
      // node refuses during the handshake both a bad and a missing certificate; without
      // fail_if_no_peer_cert only the bad one may be refused, so that case is decided below
      rejectUnauthorized: verifyPeer && o.failIfNoPeerCert === true,
      handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    },
    (socket) => {
      if (verifyPeer && !socket.authorized && presentedCertificate(socket)) {
        log.warn({ peer: `${socket.remoteAddress}:${socket.remotePort}`, reason: String(socket.authorizationError) }, 'TLS client certificate refused');
        socket.destroy();
        return;
      }
      accept(socket);
    },
  );
  server.on('tlsClientError', (err, socket) => {
    // a socket the handshake already tore down no longer knows its peer
    const peer = socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}:${socket.remotePort}`;
    log.warn({ peer, err: err.message.trim() }, 'TLS handshake failed');
  });
  return server;
}

function presentedCertificate(socket: TLSSocket): boolean {
  const cert = socket.getPeerCertificate();
  return cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
}
