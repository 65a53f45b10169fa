"""Pattern 10 - AMQP transactions (tx_select / tx_commit / tx_rollback).

Proves, observing the queue from a second connection with passive queue.declare:
  * publishes inside a transaction are invisible until commit, and discarded by rollback
    (publish 3, rollback -> 0 messages; publish 2 -> still 0; commit -> 2);
  * acks inside a transaction take effect only at commit: a message fetched with manual ack
    and acked, then rolled back, is still unacked - acking it again and committing removes it,
    while a message whose ack was rolled back is requeued (redelivered=True) when the channel
    closes;
  * the channel stays transactional after commit/rollback;
  * tx.commit on a channel that never did tx.select closes it with 406 PRECONDITION_FAILED,
    and a transactional channel cannot be put in confirm mode (406 as well).
"""
import common
from common import check, check_eq


def count(observer, queue):
    return common.queue_counts(observer, queue)[0]


def scenario(cleanup):
    queue = cleanup.queue(common.unique('tx_queue'))
    observer = common.connect()
    observer.channel().queue_declare(queue=queue)

    conn = common.connect()
    ch = conn.channel()
    ch.tx_select()

    # Publish 3, roll back: nothing reaches the queue.
    for i in range(3):
        ch.basic_publish(exchange='', routing_key=queue, body=b'rolled back %d' % i)
    check_eq(count(observer, queue), 0, 'messages visible before rollback')
    ch.tx_rollback()
    check_eq(count(observer, queue), 0, 'messages after tx_rollback')

    # Publish 2, commit: both arrive, only at commit.
    for i in range(2):
        ch.basic_publish(exchange='', routing_key=queue, body=b'committed %d' % i)
    check_eq(count(observer, queue), 0, 'messages visible before commit')
    ch.tx_commit()
    check_eq(count(observer, queue), 2, 'messages after tx_commit')

    # Acks are transactional too.
    m1, _p, b1 = ch.basic_get(queue, auto_ack=False)
    check_eq(b1, b'committed 0', 'first basic_get')
    ch.basic_ack(delivery_tag=m1.delivery_tag)
    ch.tx_rollback()  # the ack is discarded; the message stays unacked on this channel
    check_eq(count(observer, queue), 1, 'ready messages after ack + rollback (one ready, one unacked)')
    ch.basic_ack(delivery_tag=m1.delivery_tag)  # still a valid delivery tag
    ch.tx_commit()

    m2, _p, b2 = ch.basic_get(queue, auto_ack=False)
    check_eq((b2, m2.redelivered), (b'committed 1', False), 'second basic_get (body, redelivered)')
    ch.basic_ack(delivery_tag=m2.delivery_tag)
    ch.tx_rollback()
    check_eq(count(observer, queue), 0, 'ready messages while the second is unacked')
    ch.close()  # unacked (rolled-back ack) -> requeued; committed ack -> gone

    check_eq(count(observer, queue), 1, 'messages after closing the channel')
    ch = conn.channel()
    m, _p, body = ch.basic_get(queue, auto_ack=True)
    check_eq((body, m.redelivered), (b'committed 1', True), 'requeued message (body, redelivered)')
    check_eq(count(observer, queue), 0, 'messages at the end')

    # Preconditions.
    text = common.expect_channel_error(lambda: conn.channel().tx_commit(), 406, 'tx_commit without tx_select')
    check_eq(text, 'PRECONDITION_FAILED - channel is not transactional', 'reply text')

    def tx_then_confirm():
        c = conn.channel()
        c.tx_select()
        c.confirm_delivery()
    text = common.expect_channel_error(tx_then_confirm, 406, 'confirm_delivery on a transactional channel')
    check_eq(text, 'PRECONDITION_FAILED - cannot switch from tx to confirm mode', 'reply text')
    check(conn.is_open, 'channel errors must not close the connection')
    conn.close()
    observer.close()
    return 'rollback discarded 3 publishes and acks; commit delivered 2 and applied acks'


if __name__ == '__main__':
    common.main(scenario)
