"""Pattern 7 - RPC (rpc_server.py / rpc_client.py, the Fibonacci example).

The server (its own connection, in a thread) consumes 'rpc_queue-…' with prefetch 1, computes
fib(n) and publishes the answer through the default exchange to properties.reply_to with the
request's correlation_id, then acks. The client declares an exclusive server-named callback
queue, consumes it with auto_ack, publishes requests with reply_to/correlation_id and waits
with connection.process_data_events(time_limit=...). Proves:
  * reply_to and correlation_id properties reach the server unchanged;
  * the server can publish to a client's exclusive queue by name via the default exchange;
  * answers match requests by correlation_id, sequentially (fib(30) as in the tutorial) and
    with several requests in flight at once;
  * the server acked everything: rpc queue empty at the end.
"""
import time
import uuid

import pika

import common
from common import check, check_eq


def fib(n):
    # the tutorial's naive recursion (fib(30) takes a fraction of a second)
    if n == 0:
        return 0
    elif n == 1:
        return 1
    return fib(n - 1) + fib(n - 2)


def rpc_server(queue):
    seen_reply_to = []

    def on_request(consumer, ch, method, props, body):
        seen_reply_to.append(props.reply_to)
        response = fib(int(body))
        ch.basic_publish(exchange='', routing_key=props.reply_to,
                         properties=pika.BasicProperties(correlation_id=props.correlation_id),
                         body=str(response))
        ch.basic_ack(delivery_tag=method.delivery_tag)

    server = common.ConsumerThread('rpc_server', lambda ch: ch.queue_declare(queue=queue).method.queue,
                                   on_request, prefetch=1)
    server.seen_reply_to = seen_reply_to
    return server.start_ready()


class FibonacciRpcClient(object):
    def __init__(self, rpc_queue):
        self.rpc_queue = rpc_queue
        self.connection = common.connect()
        self.channel = self.connection.channel()
        result = self.channel.queue_declare('', exclusive=True)
        self.callback_queue = result.method.queue
        self.channel.basic_consume(queue=self.callback_queue, on_message_callback=self.on_response, auto_ack=True)
        self.responses = {}  # correlation_id -> body
        self.unexpected = []

    def on_response(self, ch, method, props, body):
        if props.correlation_id in self.responses and self.responses[props.correlation_id] is None:
            self.responses[props.correlation_id] = body
        else:
            self.unexpected.append((props.correlation_id, body))

    def send(self, n):
        corr_id = str(uuid.uuid4())
        self.responses[corr_id] = None
        self.channel.basic_publish(exchange='', routing_key=self.rpc_queue,
                                   properties=pika.BasicProperties(reply_to=self.callback_queue, correlation_id=corr_id),
                                   body=str(n))
        return corr_id

    def wait(self, corr_ids, timeout=common.WAIT):
        deadline = time.monotonic() + timeout
        while any(self.responses[c] is None for c in corr_ids):
            remaining = deadline - time.monotonic()
            check(remaining > 0, 'RPC: no response for %d request(s) within %ss'
                  % (sum(1 for c in corr_ids if self.responses[c] is None), timeout))
            self.connection.process_data_events(time_limit=min(remaining, 1.0))
        return [int(self.responses[c]) for c in corr_ids]

    def call(self, n):
        return self.wait([self.send(n)])[0]


def scenario(cleanup):
    rpc_queue = cleanup.queue(common.unique('rpc_queue'))
    server = rpc_server(rpc_queue)
    client = FibonacciRpcClient(rpc_queue)
    check(client.callback_queue.startswith('amq.gen-'), 'callback queue name %r' % client.callback_queue)

    # Sequential calls, as in rpc_client.py.
    for n in (30, 0, 1, 2, 10):
        check_eq(client.call(n), fib(n), 'fib(%d) over RPC' % n)
    # Several requests in flight; answers are matched by correlation_id.
    ns = [20, 5, 15, 25, 3]
    check_eq(client.wait([client.send(n) for n in ns]), [fib(n) for n in ns], 'pipelined RPC answers')

    check_eq(client.unexpected, [], 'responses with an unknown or repeated correlation_id')
    check_eq(set(server.seen_reply_to), {client.callback_queue}, 'reply_to seen by the server')
    check_eq(len(server.seen_reply_to), 10, 'requests seen by the server')
    server.stop()
    server.join_checked()
    conn = common.connect()
    check_eq(common.queue_counts(conn, rpc_queue), (0, 0), 'rpc queue (message_count, consumer_count) at the end')
    conn.close()
    client.connection.close()
    return 'fib(30)=%d and 9 more answers matched by correlation_id' % fib(30)


if __name__ == '__main__':
    common.main(scenario)
