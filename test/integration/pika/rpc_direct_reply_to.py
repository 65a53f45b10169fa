"""Pattern 8 - RPC with direct reply-to (the pseudo-queue 'amq.rabbitmq.reply-to').

Instead of declaring a callback queue, the client consumes 'amq.rabbitmq.reply-to' with
auto_ack=True and publishes requests with reply_to='amq.rabbitmq.reply-to' on the same channel.
Proves:
  * the server sees reply_to rewritten to 'amq.rabbitmq.reply-to.<opaque suffix>';
  * publishing the answer to that name through the default exchange reaches the client's
    reply consumer, with the correlation_id intact and deliver.routing_key == that name;
  * several calls work on one channel; the requests' queue ends empty;
  * RabbitMQ's preconditions: consuming the pseudo-queue with manual ack, or publishing with
    reply_to='amq.rabbitmq.reply-to' on a channel that has no reply consumer, closes the
    channel with 406 PRECONDITION_FAILED.
"""
import time
import uuid

import pika

import common
from common import check, check_eq

REPLY_TO = 'amq.rabbitmq.reply-to'


def server(queue):
    def on_request(consumer, ch, method, props, body):
        consumer.seen_reply_to.append(props.reply_to)
        ch.basic_publish(exchange='', routing_key=props.reply_to,
                         properties=pika.BasicProperties(correlation_id=props.correlation_id),
                         body=b'echo:' + body)
        ch.basic_ack(delivery_tag=method.delivery_tag)
    s = common.ConsumerThread('reply_to_server', lambda ch: ch.queue_declare(queue=queue).method.queue,
                              on_request, prefetch=1)
    s.seen_reply_to = []
    return s.start_ready()


def scenario(cleanup):
    queue = cleanup.queue(common.unique('rpc_queue_drt'))
    srv = server(queue)

    conn = common.connect()
    ch = conn.channel()
    replies = {}

    def on_response(ch, method, props, body):
        replies[props.correlation_id] = (method, body)
    ch.basic_consume(queue=REPLY_TO, on_message_callback=on_response, auto_ack=True)

    corr_ids = []
    for i in range(3):
        corr_id = str(uuid.uuid4())
        corr_ids.append(corr_id)
        ch.basic_publish(exchange='', routing_key=queue, body=('request %d' % i).encode(),
                         properties=pika.BasicProperties(reply_to=REPLY_TO, correlation_id=corr_id))
    deadline = time.monotonic() + common.WAIT
    while len(replies) < len(corr_ids) and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.5)
    check_eq(sorted(replies), sorted(corr_ids), 'correlation ids of the replies received')

    check_eq(len(srv.seen_reply_to), 3, 'requests seen by the server')
    for seen in srv.seen_reply_to:
        check(seen.startswith(REPLY_TO + '.') and len(seen) > len(REPLY_TO) + 1,
              'server saw reply_to %r, expected %r followed by a suffix' % (seen, REPLY_TO + '.'))
    for i, corr_id in enumerate(corr_ids):
        method, body = replies[corr_id]
        check_eq(body, ('echo:request %d' % i).encode(), 'reply body for request %d' % i)
        check_eq(method.exchange, '', 'reply deliver.exchange')
        check_eq(method.routing_key, srv.seen_reply_to[i], 'reply deliver.routing_key')

    # Preconditions enforced by RabbitMQ (each closes only the channel used).
    text = common.expect_channel_error(
        lambda: conn.channel().basic_consume(REPLY_TO, lambda *a: None, auto_ack=False), 406,
        'consume amq.rabbitmq.reply-to with manual ack')
    check_eq(text, 'PRECONDITION_FAILED - reply consumer cannot acknowledge', 'reply text')

    def publish_without_reply_consumer():
        other = conn.channel()
        other.basic_publish(exchange='', routing_key=queue, body=b'orphan',
                            properties=pika.BasicProperties(reply_to=REPLY_TO))
        other.queue_declare(queue, passive=True)  # a round trip, so the channel.close arrives
    text = common.expect_channel_error(publish_without_reply_consumer, 406,
                                       'publish with reply_to=amq.rabbitmq.reply-to without a reply consumer')
    check_eq(text, 'PRECONDITION_FAILED - fast reply consumer does not exist', 'reply text')
    check(ch.is_open, 'the reply channel was closed by errors on other channels')

    srv.stop()
    srv.join_checked()
    check_eq(len(srv.seen_reply_to), 3, 'requests seen by the server (the rejected publish must not be routed)')
    check_eq(common.queue_counts(conn, queue), (0, 0), 'request queue (message_count, consumer_count) at the end')
    conn.close()
    return '3 direct reply-to calls answered via %s' % srv.seen_reply_to[0]


if __name__ == '__main__':
    common.main(scenario)
