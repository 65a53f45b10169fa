"""Access control - the seeds' credentials example: a user other than guest, made by the
administrator, connects with pika.PlainCredentials and ConnectionParameters(host, port, vhost,
credentials), then declares, publishes and gets a message. Also what pika reports when the
password is wrong (ProbableAuthenticationError: the broker closed with 403 during the login) and
when the vhost is not the user's (ProbableAccessDeniedError: 530 at connection.open).
Environment: AMQP_HOST, AMQP_PORT, ACCESS_VHOST, ACCESS_USER, ACCESS_PASSWORD, OTHER_VHOST
(AMQP_URL too, for common.main).
"""
import os

import pika
import pika.exceptions

import common
from common import check, check_eq

HOST = os.environ.get('AMQP_HOST', '127.0.0.1')
PORT = int(os.environ.get('AMQP_PORT', '5672'))
VHOST = os.environ.get('ACCESS_VHOST', '/')
USER = os.environ.get('ACCESS_USER', '')
PASSWORD = os.environ.get('ACCESS_PASSWORD', '')
OTHER_VHOST = os.environ.get('OTHER_VHOST', '')


def parameters(user, password, vhost):
    credentials = pika.PlainCredentials(user, password)
    return pika.ConnectionParameters(HOST, PORT, vhost, credentials, connection_attempts=1, socket_timeout=5)


def scenario(_cleanup):
    # the example as the seeds write it
    connection = pika.BlockingConnection(parameters(USER, PASSWORD, VHOST))
    channel = connection.channel()
    queue = common.unique('credentials')
    channel.queue_declare(queue=queue, auto_delete=True)
    channel.basic_publish(exchange='', routing_key=queue, body=b'Hello World!')
    method, _props, body = channel.basic_get(queue, auto_ack=True)
    check(method is not None, 'basic_get found no message')
    check_eq(body, b'Hello World!', 'body')
    channel.queue_delete(queue)
    connection.close()

    try:
        pika.BlockingConnection(parameters(USER, 'not-the-password', VHOST))
        raise common.CheckFailed('a wrong password was accepted')
    except pika.exceptions.ProbableAuthenticationError as e:
        check('403' in repr(e) and 'ACCESS_REFUSED' in repr(e), 'wrong password: %r' % (e,))

    try:
        pika.BlockingConnection(parameters(USER, PASSWORD, OTHER_VHOST))
        raise common.CheckFailed('a vhost without permissions was opened')
    except pika.exceptions.ProbableAccessDeniedError as e:
        expected = "NOT_ALLOWED - access to vhost '%s' refused for user '%s'" % (OTHER_VHOST, USER)
        # the broker's text is nested in the repr of the error's args, its quotes escaped
        text = repr(e).replace("\\'", "'")
        check('530' in text and expected in text, 'foreign vhost: %r' % (e,))
    return 'PlainCredentials login, publish/get; wrong password and foreign vhost refused'


if __name__ == '__main__':
    common.main(scenario)
