"""Access control - the permission matrix as a pika program sees it.

The user (USER_URL) may configure, write and read only names starting with "ok-"; the owner
(OWNER_URL, full permissions) makes the "no-" resources. Every operation RabbitMQ checks is run
once allowed and once refused; a refusal must close the channel with 403 and RabbitMQ's text:
  "ACCESS_REFUSED - access to <queue|exchange> '<name>' in vhost '<vhost>'
   refused for user '<user>'"
A passive declare needs no permission; the default exchange is checked as 'amq.default'.
Environment: OWNER_URL, USER_URL, ACCESS_VHOST, ACCESS_USER (AMQP_URL too, for common.main).
"""
import os

import pika

import common
from common import check, check_eq

VHOST = os.environ.get('ACCESS_VHOST', '')
USER = os.environ.get('ACCESS_USER', '')


def connect(url):
    params = pika.URLParameters(url)
    params.connection_attempts = 1
    params.socket_timeout = 5
    return pika.BlockingConnection(params)


def refused_text(access, kind, name):
    # RabbitMQ 3.10 does not name the refused access (configure, write, read) in the text
    del access
    return "ACCESS_REFUSED - access to %s '%s' in vhost '%s' refused for user '%s'" % (kind, name, VHOST, USER)


CASES = []


def expect_refused(conn, fn, access, kind, name, what):
    CASES.append(what)
    ch = conn.channel()
    text = common.expect_channel_error(lambda: fn(ch), 403, what)
    check_eq(text, refused_text(access, kind, name), '%s: reply text' % what)


def expect_allowed(conn, fn, what):
    CASES.append(what)
    ch = conn.channel()
    try:
        fn(ch)
    except pika.exceptions.ChannelClosedByBroker as e:
        raise common.CheckFailed('%s: refused with %d %s' % (what, e.reply_code, e.reply_text))
    check(ch.is_open, '%s: the channel must stay open' % what)
    ch.close()


def scenario(_cleanup):
    owner_conn = connect(os.environ['OWNER_URL'])
    owner = owner_conn.channel()
    for q in ('ok-pq', 'no-pq'):
        owner.queue_declare(q, auto_delete=False)
    for x in ('ok-px', 'ok-px2', 'no-px'):
        owner.exchange_declare(x, 'direct')
    conn = connect(os.environ["USER_URL"])

    def both(allowed, refused, access, kind, name, what):
        expect_allowed(conn, allowed, what + " (allowed)")
        expect_refused(conn, refused, access, kind, name, what + " (refused)")

    both(lambda ch: ch.queue_declare('ok-p-declared'), lambda ch: ch.queue_declare('no-p-declared'),
         'configure', 'queue', 'no-p-declared', 'queue.declare')
    expect_allowed(conn, lambda ch: ch.queue_declare('no-pq', passive=True), 'passive queue.declare without permissions')
    both(lambda ch: ch.exchange_declare('ok-p-x', 'fanout'), lambda ch: ch.exchange_declare('no-p-x', 'fanout'),
         'configure', 'exchange', 'no-p-x', 'exchange.declare')

    def publish(exchange, key):
        def run(ch):
            ch.confirm_delivery()
            ch.basic_publish(exchange, key, b'x')
        return run
    both(publish('ok-px', 'k'), publish('no-px', 'k'), 'write', 'exchange', 'no-px', 'basic.publish')
    expect_refused(conn, publish('', 'ok-pq'), 'write', 'exchange', 'amq.default', 'basic.publish to the default exchange')

    def consume(queue):
        def run(ch):
            tag = ch.basic_consume(queue, lambda *a: None)
            ch.basic_cancel(tag)
        return run
    both(consume('ok-pq'), consume('no-pq'), 'read', 'queue', 'no-pq', 'basic.consume')
    both(lambda ch: ch.basic_get('ok-pq', auto_ack=True), lambda ch: ch.basic_get('no-pq'),
         'read', 'queue', 'no-pq', 'basic.get')
    both(lambda ch: ch.queue_purge('ok-pq'), lambda ch: ch.queue_purge('no-pq'), 'read', 'queue', 'no-pq', 'queue.purge')
    both(lambda ch: ch.queue_bind('ok-pq', 'ok-px', 'rk'), lambda ch: ch.queue_bind('no-pq', 'ok-px', 'rk'),
         'write', 'queue', 'no-pq', 'queue.bind (write on the queue)')
    expect_refused(conn, lambda ch: ch.queue_bind('ok-pq', 'no-px', 'rk'), 'read', 'exchange', 'no-px',
                   'queue.bind (read on the exchange)')
    both(lambda ch: ch.queue_unbind('ok-pq', 'ok-px', 'rk'), lambda ch: ch.queue_unbind('no-pq', 'ok-px', 'rk'),
         'write', 'queue', 'no-pq', 'queue.unbind')
    both(lambda ch: ch.exchange_bind('ok-px2', 'ok-px', 'rk'), lambda ch: ch.exchange_bind('no-px', 'ok-px', 'rk'),
         'write', 'exchange', 'no-px', 'exchange.bind (write on the destination)')
    expect_refused(conn, lambda ch: ch.exchange_bind('ok-px2', 'no-px', 'rk'), 'read', 'exchange', 'no-px',
                   'exchange.bind (read on the source)')
    both(lambda ch: ch.exchange_unbind('ok-px2', 'ok-px', 'rk'), lambda ch: ch.exchange_unbind('no-px', 'ok-px', 'rk'),
         'write', 'exchange', 'no-px', 'exchange.unbind')
    owner.queue_declare('ok-p-doomed')
    both(lambda ch: ch.queue_delete('ok-p-doomed'), lambda ch: ch.queue_delete('no-pq'),
         'configure', 'queue', 'no-pq', 'queue.delete')
    both(lambda ch: ch.exchange_delete('ok-p-x'), lambda ch: ch.exchange_delete('no-px'),
         'configure', 'exchange', 'no-px', 'exchange.delete')

    check(conn.is_open, 'channel errors must leave the connection open')
    conn.close()
    owner_conn.close()
    return "%d allowed/refused cases as RabbitMQ answers them" % len(CASES)


if __name__ == '__main__':
    common.main(scenario)
