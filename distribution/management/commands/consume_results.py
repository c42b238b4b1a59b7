"""Long-running consumer of box results from the upload queues (started by `make run`).

Results are stored in bursts: every delivery that has arrived (up to the prefetch) is stored in
one transaction with bulk writes (distribution.results.record_results), and acknowledged only
once that transaction has committed: a crash before it leaves them all in the queue, and a
result delivered again finds its command finished and changes nothing. A malformed one is
stored with the reason and acked (it would never get better); a database failure nacks the
burst back to the queue. Reconnects by itself after broker restarts.
"""
import logging
import signal
import time

import pika
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from cloudplatform.amqp import connection_parameters, describe
from distribution.results import record_results

logger = logging.getLogger("distribution.consumer")


class Command(BaseCommand):
    help = "Consume command results that boxes publish to the upload queue(s)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--prefetch", type=int, default=50)

    def handle(self, *args, prefetch: int, **options) -> None:
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        parameters = connection_parameters(settings.BOX_UPLOAD_VHOST, heartbeat=30)
        delay = 1.0
        while not self.stopping:
            try:
                self._consume(parameters, prefetch)
                delay = 1.0
            except pika.exceptions.AMQPError as exc:
                if self.stopping:
                    break
                logger.warning("broker connection to %s lost (%s); reconnecting in %.0f s",
                               describe(settings.BOX_UPLOAD_VHOST), exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _stop(self, *args) -> None:
        self.stopping = True

    def _consume(self, parameters: pika.ConnectionParameters, prefetch: int) -> None:
        connection = pika.BlockingConnection(parameters)
        channel = connection.channel()
        channel.basic_qos(prefetch_count=prefetch)
        queues = [settings.BOX_UPLOAD_QUEUE, settings.BOX_FIQA_UPLOAD_QUEUE]
        for queue in queues:
            channel.queue_declare(queue, durable=True, arguments={"x-queue-type": settings.BOX_QUEUE_TYPE})
            channel.basic_consume(queue, self._on_message)
        logger.info("consuming results from %s in %s", ", ".join(queues), describe(settings.BOX_UPLOAD_VHOST))
        self.burst: list[tuple[int, bytes]] = []
        try:
            while not self.stopping:
                # Between bursts, as Django does between requests: drop stale or broken DB connections.
                close_old_connections()
                connection.process_data_events(time_limit=1)
                if self.burst:
                    connection.process_data_events(time_limit=0)  # whatever else has already arrived
                    burst, self.burst = self.burst, []
                    self.store(channel, burst)
        finally:
            if connection.is_open:
                connection.close()

    def _on_message(self, channel, method, properties, body: bytes) -> None:
        self.burst.append((method.delivery_tag, body))

    def store(self, channel, burst: list[tuple[int, bytes]]) -> None:
        """Store a burst of deliveries (in delivery order), then acknowledge all of them at once;
        on a database failure, return them all to the queue."""
        last_tag = burst[-1][0]
        try:
            received = record_results([body for _, body in burst], "mq")
        except DatabaseError as exc:
            logger.error("could not store %d result(s) (%s); they go back to the queue", len(burst), exc)
            channel.basic_nack(last_tag, multiple=True, requeue=True)
            time.sleep(1)
            return
        channel.basic_ack(last_tag, multiple=True)
        for result in received:
            if result.error:
                logger.warning("kept an unusable result (%s): %s", result.pk, result.error)
