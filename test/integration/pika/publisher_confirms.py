"""Pattern 9 - publisher confirms (channel.confirm_delivery()).

In pika 1.x a BlockingChannel in confirm mode makes basic_publish wait for the broker's
basic.ack: it returns normally when the message is confirmed, raises UnroutableError when a
mandatory message was returned (basic.return then basic.ack) and NackError on basic.nack.
Proves:
  * publishing to an existing queue is confirmed (no exception) and the message is there;
  * a mandatory publish with an unroutable routing key raises UnroutableError carrying the
    returned message (reply 312 NO_ROUTE, exchange, routing key, body, properties);
  * a non-mandatory unroutable publish is simply confirmed (dropped silently);
  * 500 publishes in a row are all confirmed and all land in the queue;
  * publishing to an exchange that does not exist closes the channel with 404 NOT_FOUND.
"""
import pika
import pika.exceptions

import common
from common import check, check_eq

MANY = 500


def scenario(cleanup):
    queue = cleanup.queue(common.unique('confirms'))
    conn = common.connect()
    ch = conn.channel()
    ch.queue_declare(queue=queue)
    ch.confirm_delivery()

    # Routable: confirmed.
    ch.basic_publish(exchange='', routing_key=queue, body=b'confirmed', mandatory=True)
    check_eq(common.queue_counts(conn, queue), (1, 0), 'queue after one confirmed publish')

    # Mandatory + unroutable: returned, then acked -> UnroutableError.
    nowhere = common.unique('no-such-queue')
    props = pika.BasicProperties(content_type='text/plain', message_id='m-1')
    try:
        ch.basic_publish(exchange='', routing_key=nowhere, body=b'lost?', properties=props, mandatory=True)
        raise common.CheckFailed('mandatory publish to an unroutable key did not raise UnroutableError')
    except pika.exceptions.UnroutableError as e:
        check_eq(len(e.messages), 1, 'returned messages')
        ret = e.messages[0]
        check_eq((ret.method.reply_code, ret.method.reply_text, ret.method.exchange, ret.method.routing_key),
                 (312, 'NO_ROUTE', '', nowhere), 'basic.return fields')
        check_eq(ret.body, b'lost?', 'returned body')
        check_eq((ret.properties.content_type, ret.properties.message_id), ('text/plain', 'm-1'), 'returned properties')

    # Not mandatory: unroutable messages are confirmed and dropped.
    ch.basic_publish(exchange='', routing_key=nowhere, body=b'dropped')

    # Many in a row: each basic_publish returns only once its confirm has arrived.
    for i in range(MANY):
        ch.basic_publish(exchange='', routing_key=queue, body=b'msg %d' % i)
    check_eq(common.queue_counts(conn, queue), (MANY + 1, 0), 'queue after %d more confirmed publishes' % MANY)
    check(ch.is_open, 'confirm channel closed unexpectedly')

    # The messages are intact and in order.
    got = []
    while True:
        method, _p, body = ch.basic_get(queue, auto_ack=True)
        if method is None:
            break
        got.append(body)
    check_eq(got, [b'confirmed'] + [b'msg %d' % i for i in range(MANY)], 'bodies read back with basic_get')

    # Publishing to a missing exchange is a channel error, even in confirm mode.
    missing = common.unique('no-such-exchange')

    def publish_to_missing():
        other = conn.channel()
        other.confirm_delivery()
        other.basic_publish(exchange=missing, routing_key='k', body=b'x')
    text = common.expect_channel_error(publish_to_missing, 404, 'publish to a missing exchange')
    check_eq(text, "NOT_FOUND - no exchange '%s' in vhost '/'" % missing, 'reply text')
    conn.close()
    return '%d publishes confirmed, unroutable mandatory publish raised UnroutableError (312 NO_ROUTE)' % (MANY + 1)


if __name__ == '__main__':
    common.main(scenario)
