"""Pattern 12 - every basic property (and odd bodies) round-trips unchanged.

"AMQP 0-9-1 defines 14 message properties" (the RPC tutorial). A producer publishes a message
with every BasicProperties field set, including a headers table holding each field-value type
pika 1.2 can encode, and a consumer compares what it receives, value and Python type. Also:
  * a message without properties arrives with every property unset (None);
  * an empty body and a body larger than frame_max (several body frames, all 256 byte values)
    arrive byte-for-byte;
  * user_id must equal the authenticated user: any other value closes the channel with
    406 PRECONDITION_FAILED.
Note: pika 1.2 cannot encode Python floats in tables (UnsupportedAMQPFieldException), so
fractional numbers are sent as decimal.Decimal (field type 'D'); 'x' byte arrays come from bytes.
"""
import datetime
import decimal

import pika

import common
from common import check_eq

HEADERS = {
    'str': 'plain text',
    'utf8': '水续传 ✓',
    'int': 42,
    'negative': -7,
    'int64': 2 ** 40,
    'true': True,
    'false': False,
    'decimal': decimal.Decimal('3.14'),
    'bytes': b'\x00\x01\xfe\xff',
    'none': None,
    'datetime': datetime.datetime(2020, 1, 2, 3, 4, 5),
    'list': [1, 'two', True, [3], {'k': 'v'}],
    'nested': {'level1': {'level2': {'n': 1, 's': 'deep'}}, 'empty': {}},
    'empty_list': [],
    'x-custom-header': 'dash and dots.are.fine',
}

PROPERTY_NAMES = ['content_type', 'content_encoding', 'headers', 'delivery_mode', 'priority', 'correlation_id',
                  'reply_to', 'expiration', 'message_id', 'timestamp', 'type', 'user_id', 'app_id', 'cluster_id']


def typed(value):
    """Value with its type made explicit, so True != 1 and '1' != b'1' when comparing.

    pika sends ints beyond 32 bits as 'l' (signed 64-bit) and decodes 'l' as pika.compat.long.
    """
    if type(value) is int and not -2 ** 31 <= value < 2 ** 31:
        return ('long', value)
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def props_dict(props):
    return {name: typed(getattr(props, name)) for name in PROPERTY_NAMES}


def scenario(cleanup):
    user = pika.URLParameters(common.amqp_url()).credentials.username
    full = pika.BasicProperties(
        content_type='application/json',
        content_encoding='utf-8',
        headers=HEADERS,
        delivery_mode=2,
        priority=5,
        correlation_id='corr-123',
        reply_to='reply-queue',
        expiration='60000',
        message_id='msg-456',
        timestamp=1700000000,
        type='order.created',
        user_id=user,
        app_id='warren-tests',
        cluster_id='cluster-a',
    )
    big = bytes(range(256)) * 1200 + b'!'  # 307201 bytes > frame_max (131072 by default)
    messages = [(b'{"all": "properties"}', full), (b'', None), (big, pika.BasicProperties(content_type='application/octet-stream'))]

    queue = cleanup.queue(common.unique('props'))
    conn = common.connect()
    ch = conn.channel()
    ch.queue_declare(queue=queue)
    for body, props in messages:
        ch.basic_publish(exchange='', routing_key=queue, body=body, properties=props)

    consumer = common.ConsumerThread('props-consumer', lambda c: queue, auto_ack=True).start_ready()
    check_eq(consumer.wait_count(len(messages)), len(messages), 'deliveries')
    consumer.stop()
    consumer.join_checked()

    (_m0, got_full, body0), (_m1, got_none, body1), (_m2, got_big, body2) = consumer.received
    check_eq(body0, messages[0][0], 'body with all properties')
    expected = props_dict(full)
    actual = props_dict(got_full)
    for name in PROPERTY_NAMES:
        if name == 'headers':
            for key in sorted(set(HEADERS) | set(got_full.headers or {})):
                check_eq(actual['headers'].get(key), expected['headers'].get(key), 'headers[%r]' % key)
        check_eq(actual[name], expected[name], 'property %s' % name)

    check_eq(body1, b'', 'empty body')
    check_eq({n: getattr(got_none, n) for n in PROPERTY_NAMES}, {n: None for n in PROPERTY_NAMES},
             'properties of a message published without properties')
    check_eq(len(body2), len(big), 'large body length')
    check_eq(body2 == big, True, 'large body content identical')
    check_eq(got_big.content_type, 'application/octet-stream', 'large message content_type')

    def publish_as_someone_else():
        other = conn.channel()
        other.basic_publish('', queue, b'x', pika.BasicProperties(user_id='not-' + user))
        other.queue_declare(queue, passive=True)  # a round trip, so the channel.close arrives
    text = common.expect_channel_error(publish_as_someone_else, 406, 'publish with a foreign user_id')
    check_eq(text, "PRECONDITION_FAILED - user_id property set to 'not-%s' but authenticated user was '%s'"
             % (user, user), 'reply text')
    conn.close()
    return 'all 14 properties and %d header types round-tripped; empty and %d-byte bodies intact' % (len(HEADERS), len(big))


if __name__ == '__main__':
    common.main(scenario)
