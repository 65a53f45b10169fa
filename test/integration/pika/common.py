"""Shared helpers for the pika integration scripts.

Every script in this directory ports one pattern from the (Chinese) pika tutorials to the
pika 1.2 API (Debian's python3-pika, run with /usr/bin/python3) and checks what a client
observes. Conventions:

* the broker URL comes from the AMQP_URL environment variable;
* every name is unique (random suffix) so parallel runs on a shared broker never clash;
* every wait is bounded: consumers get a deadline, waits use conditions with timeouts, and
  faulthandler kills the whole script (dumping every thread's stack) if it overruns;
* whatever a script declares is deleted at the end, pass or fail;
* exit status 0 = pass, 1 = a check failed (message printed as "FAIL: ..."), 2 = crash.
"""
import faulthandler
import os
import sys
import threading
import traceback
import uuid

import pika
import pika.exceptions

#: Hard limit for one script; the node test runner has its own, larger, limit.
SCRIPT_TIMEOUT = float(os.environ.get('PIKA_SCRIPT_TIMEOUT', '30'))
#: Default bound for a single wait (a message to arrive, a consumer to start...). Everything
#: here happens on localhost in milliseconds; the margin is for loaded CI machines.
WAIT = 5.0


class CheckFailed(Exception):
    """An observable behaviour differs from what RabbitMQ does."""


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed('%s: expected %r, got %r' % (what, expected, actual))


def amqp_url():
    url = os.environ.get('AMQP_URL')
    if not url:
        print('FAIL: AMQP_URL is not set (e.g. amqp://guest:guest@127.0.0.1:5672/%2F)')
        sys.exit(1)
    return url


def unique(prefix):
    """A name no other run will use, e.g. 'hello-3f9c1a2b7d'."""
    return '%s-%s' % (prefix, uuid.uuid4().hex[:10])


def connect():
    """A new BlockingConnection to AMQP_URL (one per 'program' / thread)."""
    params = pika.URLParameters(amqp_url())
    params.connection_attempts = 1
    params.socket_timeout = 5
    params.blocked_connection_timeout = 10
    return pika.BlockingConnection(params)


def expect_channel_error(fn, code, what):
    """Run fn(), which must make the broker close the channel with reply code `code`.

    Returns the reply text so callers can check it and print it.
    """
    try:
        fn()
    except pika.exceptions.ChannelClosedByBroker as e:
        check_eq(e.reply_code, code, '%s: channel.close reply-code (text %r)' % (what, e.reply_text))
        return e.reply_text
    raise CheckFailed('%s: expected the broker to close the channel with %d, but it did not' % (what, code))


def queue_counts(conn, queue):
    """(message_count, consumer_count) of an existing queue via a passive declare on a fresh channel."""
    ch = conn.channel()
    ok = ch.queue_declare(queue, passive=True)
    ch.close()
    return ok.method.message_count, ok.method.consumer_count


class Cleanup(object):
    """Remembers what a script declared and deletes it at the end, from a fresh connection."""

    def __init__(self):
        self.queues = []
        self.exchanges = []

    def queue(self, name):
        self.queues.append(name)
        return name

    def exchange(self, name):
        self.exchanges.append(name)
        return name

    def run(self):
        if not self.queues and not self.exchanges:
            return
        try:
            conn = connect()
        except Exception as e:  # the broker may be gone; nothing more to do
            print('cleanup: cannot connect: %r' % (e,), file=sys.stderr)
            return
        try:
            for kind, names in (('queue', self.queues), ('exchange', self.exchanges)):
                for name in names:
                    ch = conn.channel()
                    try:
                        if kind == 'queue':
                            ch.queue_delete(name)
                        else:
                            ch.exchange_delete(name)
                        ch.close()
                    except pika.exceptions.ChannelClosedByBroker:
                        pass  # already gone (e.g. exclusive / auto-delete)
        finally:
            conn.close()


#: Notified whenever any ConsumerThread receives a message or ends.
_DELIVERIES = threading.Condition()


class ConsumerThread(threading.Thread):
    """One consumer 'program' of a tutorial: its own connection and channel, running
    channel.start_consuming() in a thread until stop() is called or its deadline passes.

    setup(channel) declares/binds whatever the program needs and returns the queue to consume.
    on_message(consumer, channel, method, properties, body) is called for each delivery after
    it has been recorded in consumer.received as (method, properties, body).
    """

    def __init__(self, name, setup, on_message=None, auto_ack=False, prefetch=None, timeout=WAIT * 2):
        threading.Thread.__init__(self, name=name, daemon=True)
        self._setup = setup
        self._on_message_cb = on_message
        self.auto_ack = auto_ack
        self.prefetch = prefetch
        self.timeout = timeout
        self.received = []
        self.queue = None
        self.consumer_tag = None
        self.connection = None
        self.channel = None
        self.error = None
        self.error_trace = ''
        self.timed_out = False
        self.finished = False  # set (under the condition) when run() is about to end
        self.ready = threading.Event()
        # One condition shared by all consumers, so a wait can involve several of them.
        self._cond = _DELIVERIES

    # --- runs in the consumer thread -------------------------------------------------------
    def run(self):
        try:
            self.connection = connect()
            self.channel = self.connection.channel()
            if self.prefetch is not None:
                self.channel.basic_qos(prefetch_count=self.prefetch)
            self.queue = self._setup(self.channel)
            self.consumer_tag = self.channel.basic_consume(self.queue, self._on_message, auto_ack=self.auto_ack)
            self.connection.call_later(self.timeout, self._on_deadline)
            self.ready.set()
            self.channel.start_consuming()
        except BaseException as e:  # reported to the main thread by join_checked()
            self.error = e
            self.error_trace = traceback.format_exc()
        finally:
            self.ready.set()
            with self._cond:
                self.finished = True
                self._cond.notify_all()
            try:
                if self.connection is not None and self.connection.is_open:
                    self.connection.close()
            except Exception:
                pass

    def _on_message(self, ch, method, properties, body):
        with self._cond:
            self.received.append((method, properties, body))
            self._cond.notify_all()
        if self._on_message_cb is not None:
            self._on_message_cb(self, ch, method, properties, body)

    def _on_deadline(self):
        self.timed_out = True
        self.channel.stop_consuming()

    # --- callable from any thread ----------------------------------------------------------
    def call(self, fn):
        """Run fn(channel) in the consumer's thread (pika connections are not thread-safe)."""
        if threading.current_thread() is self:
            fn(self.channel)
        else:
            self.connection.add_callback_threadsafe(lambda: fn(self.channel))

    def stop(self):
        """Cancel the consumer; the thread then closes its connection and ends."""
        if self.is_alive() and self.connection is not None:
            try:
                self.call(lambda ch: ch.stop_consuming())
            except Exception:
                pass  # connection already closed

    def start_ready(self):
        """Start the thread and wait until its basic.consume-ok has arrived."""
        self.start()
        check(self.ready.wait(WAIT), '%s: consumer did not start within %ss' % (self.name, WAIT))
        self._raise_error()
        return self

    def wait_count(self, n, timeout=WAIT):
        """Wait until at least n messages have been delivered; returns the count reached."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= n or self.finished, timeout)
            return len(self.received)

    def wait_until(self, predicate, timeout=WAIT):
        """Wait until predicate() holds (re-checked after each delivery to any consumer) or this
        consumer ends; returns the final value of predicate()."""
        with self._cond:
            self._cond.wait_for(lambda: predicate() or self.finished, timeout)
            return predicate()

    def join_checked(self, timeout=WAIT):
        """Wait for the thread to end (after stop(), or when it stops itself); fail if it does not."""
        self.join(timeout)
        if self.is_alive():
            self.stop()
            self.join(WAIT)
            raise CheckFailed('%s: consumer did not finish within %ss; received so far: %r'
                              % (self.name, timeout, self.bodies()))
        self._raise_error()

    def _raise_error(self):
        if self.error is not None:
            raise CheckFailed('%s: consumer failed: %r\n%s' % (self.name, self.error, self.error_trace))

    def bodies(self):
        return [body for (_m, _p, body) in self.received]


def main(scenario):
    """Run scenario(cleanup) with a global time bound and uniform reporting.

    scenario returns a short summary string printed on success.
    """
    amqp_url()
    faulthandler.dump_traceback_later(SCRIPT_TIMEOUT, exit=True)
    cleanup = Cleanup()
    status = 0
    try:
        summary = scenario(cleanup)
        print('OK: %s' % (summary or 'passed'))
    except CheckFailed as e:
        print('FAIL: %s' % e)
        status = 1
    except Exception as e:
        print('FAIL: unexpected exception %s: %s' % (type(e).__name__, e))
        traceback.print_exc()
        status = 2
    finally:
        try:
            cleanup.run()
        except Exception:
            traceback.print_exc()
        faulthandler.cancel_dump_traceback_later()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # do not wait for daemon consumer threads
