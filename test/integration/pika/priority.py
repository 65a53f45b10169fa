"""Priority queue (x-max-priority) with pika.

Proves:
  * a consumer that starts after the publishes gets higher priorities first, FIFO within a level;
  * a priority above x-max-priority counts as the maximum, a missing one as 0;
  * a message rejected with requeue=True goes back to its place within its level.
"""
import pika

import common
from common import check_eq

MAX = 5
# (body, priority): published in this order
PUBLISHED = [('low-1', 1), ('none-1', None), ('high-1', 5), ('mid-1', 3), ('high-2', 5),
             ('over-1', 9), ('low-2', 1), ('mid-2', 3), ('none-2', None)]
EXPECTED = ['high-1', 'high-2', 'over-1', 'mid-1', 'mid-2', 'low-1', 'low-2', 'none-1', 'none-2']


def scenario(cleanup):
    queue = cleanup.queue(common.unique('priority'))
    conn = common.connect()
    ch = conn.channel()
    ch.queue_declare(queue=queue, arguments={'x-max-priority': MAX})
    for body, prio in PUBLISHED:
        ch.basic_publish(exchange='', routing_key=queue, body=body.encode(), properties=pika.BasicProperties(priority=prio))
    check_eq(common.queue_counts(conn, queue), (len(PUBLISHED), 0), 'queue after publishing')

    # Take the first two, give the first back: it returns ahead of high-2's level mates.
    m1, _, b1 = ch.basic_get(queue)
    m2, _, b2 = ch.basic_get(queue)
    check_eq((b1, b2), (b'high-1', b'high-2'), 'first two by basic_get')
    ch.basic_reject(m1.delivery_tag, requeue=True)
    ch.basic_reject(m2.delivery_tag, requeue=True)

    got = []
    ch.basic_qos(prefetch_count=1)
    for method, props, body in ch.consume(queue, inactivity_timeout=common.WAIT):
        if method is None:
            break
        got.append(body.decode())
        ch.basic_ack(method.delivery_tag)
        if len(got) == len(EXPECTED):
            break
    ch.cancel()
    check_eq(got, EXPECTED, 'delivery order')
    conn.close()
    return 'delivered by priority, FIFO within a level, over-max as max, requeued back in place'


if __name__ == '__main__':
    common.main(scenario)
