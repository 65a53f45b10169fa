"""AMQP over TLS with pika, the way RabbitMQ's TLS guide sets a Python client up: an
ssl.SSLContext that trusts the test CA (and, when the broker verifies peers, carries a client
certificate), handed to pika.SSLOptions with the server name the certificate was made for.

Environment:
  AMQPS_PORT          the broker's TLS port on 127.0.0.1
  TLS_CA              the CA certificate (PEM) that signed the server certificate
  TLS_CERT, TLS_KEY   a client certificate and key (optional)
  EXPECT              'ok': a full round trip must work; 'refused': the broker must refuse us
  AMQP_URL            set by the caller for common.main (not used to connect)

With EXPECT=ok: declare a server-named exclusive queue, publish to it through the default exchange,
basic.get it back over the encrypted connection (confirmed first, so no polling). With EXPECT=refused: opening the connection must
fail (the broker drops the TLS session) within the bound.
"""
import os
import ssl

import pika
import pika.exceptions

import common
from common import check, check_eq


def parameters():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(os.environ['TLS_CA'])
    if os.environ.get('TLS_CERT'):
        context.load_cert_chain(os.environ['TLS_CERT'], os.environ['TLS_KEY'])
    params = pika.ConnectionParameters(
        host='127.0.0.1',
        port=int(os.environ['AMQPS_PORT']),
        credentials=pika.PlainCredentials('guest', 'guest'),
        ssl_options=pika.SSLOptions(context, 'localhost'),
        connection_attempts=1,
        socket_timeout=5,
        blocked_connection_timeout=10,
    )
    return params


def scenario(_cleanup):
    expect = os.environ['EXPECT']
    if expect == 'refused':
        try:
            conn = pika.BlockingConnection(parameters())
        except pika.exceptions.AMQPConnectionError as e:
            return 'TLS connection refused as expected (%s)' % type(e).__name__
        conn.close()
        check(False, 'the broker accepted a TLS connection it should have refused')

    conn = pika.BlockingConnection(parameters())
    try:
        ch = conn.channel()
        queue = ch.queue_declare(queue='', exclusive=True).method.queue
        body = b'over TLS'
        # with confirms, basic_publish returns once the broker has the message: basic.get finds it
        ch.confirm_delivery()
        ch.basic_publish(exchange='', routing_key=queue, body=body)
        method, _props, got = ch.basic_get(queue, auto_ack=True)
        check(method is not None, 'basic.get found no message after a confirmed publish over TLS')
        check_eq(got, body, 'body read back over TLS')
    finally:
        conn.close()
    return 'publish and basic.get over TLS'


if __name__ == '__main__':
    common.main(scenario)
