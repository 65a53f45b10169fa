"""The seeds' flash-sale example: "if the queue is longer than its maximum, reject the user's request".

An order queue holds at most STOCK requests (x-max-length) with x-overflow=reject-publish; the
shop publishes each buyer's request with publisher confirms, so a request past the limit comes
back as basic.nack (pika: NackError) and the buyer is told "sold out". A second queue shows
reject-publish-dlx: the refused requests are also dead-lettered (reason maxlen) to a queue the
shop reads to apologise. Proves:
  * exactly STOCK requests are confirmed and queued, in order; every later one is nacked;
  * once the worker takes an order, a new request fits again;
  * with reject-publish-dlx the refused requests land in the dead-letter queue with x-death
    reason 'maxlen' and the first-death headers.
"""
import pika
import pika.exceptions

import common
from common import check, check_eq

STOCK = 5
BUYERS = 12


def buy(ch, queue, user):
    """Publishes one buyer's request; True when accepted, False when rejected (sold out)."""
    try:
        ch.basic_publish(exchange='', routing_key=queue, body=('order from %s' % user).encode(),
                         properties=pika.BasicProperties(delivery_mode=2, headers={'user': user}))
        return True
    except pika.exceptions.NackError:
        return False


def scenario(cleanup):
    orders = cleanup.queue(common.unique('flash-orders'))
    conn = common.connect()
    ch = conn.channel()
    ch.queue_declare(queue=orders, durable=True, arguments={'x-max-length': STOCK, 'x-overflow': 'reject-publish'})
    ch.confirm_delivery()

    accepted = [u for u in ('user-%d' % i for i in range(BUYERS)) if buy(ch, orders, u)]
    check_eq(accepted, ['user-%d' % i for i in range(STOCK)], 'buyers whose request was accepted')
    check_eq(common.queue_counts(conn, orders), (STOCK, 0), 'orders queued')

    # The worker handles one order: one place is free again.
    method, props, body = ch.basic_get(orders, auto_ack=True)
    check_eq(body, b'order from user-0', 'first order handled first')
    check(buy(ch, orders, 'late-user'), 'a request fits again after an order was taken')
    check(not buy(ch, orders, 'too-late-user'), 'and the next one is rejected again')

    # reject-publish-dlx: refused requests are dead-lettered so the shop can answer them.
    apologies = cleanup.queue(common.unique('flash-sold-out'))
    limited = cleanup.queue(common.unique('flash-orders-dlx'))
    ch.queue_declare(queue=apologies)
    ch.queue_declare(queue=limited, arguments={'x-max-length': 1, 'x-overflow': 'reject-publish-dlx',
                                               'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': apologies})
    check(buy(ch, limited, 'alice'), 'the first request fits')
    check(not buy(ch, limited, 'bob'), 'the second is rejected')
    got = None
    for _ in range(50):
        got = ch.basic_get(apologies, auto_ack=True)
        if got[0] is not None:
            break
        conn.sleep(0.05)
    method, props, body = got
    check(method is not None, 'the rejected request was dead-lettered')
    check_eq(body, b'order from bob', 'dead-lettered body')
    death = props.headers['x-death'][0]
    check_eq((death['reason'], death['queue'], death['count']), ('maxlen', limited, 1), 'x-death reason, queue, count')
    check_eq(props.headers['x-first-death-reason'], 'maxlen', 'x-first-death-reason')
    check_eq(props.headers['user'], 'bob', 'the request keeps its headers')
    conn.close()
    return '%d of %d buyers accepted, the rest rejected with basic.nack; reject-publish-dlx dead-lettered the refused one' % (STOCK, BUYERS)


if __name__ == '__main__':
    common.main(scenario)
