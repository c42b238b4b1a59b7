"""Connections to the real RabbitMQ as a box and as the platform make them."""
import pika

from cloudplatform.amqp import connection_parameters


def amqp_connect(rabbitmq: dict, vhost_key: str = "vHost") -> pika.BlockingConnection:
    """Connect as a box would, with the `rabbitmq` part of its login reply."""
    return pika.BlockingConnection(
        pika.ConnectionParameters(
            host=rabbitmq["host"],
            port=int(rabbitmq["port"]),
            virtual_host=rabbitmq[vhost_key],
            credentials=pika.PlainCredentials(rabbitmq["login"], rabbitmq["password"]),
            connection_attempts=1,
            socket_timeout=5,
            blocked_connection_timeout=5,
        )
    )


def platform_connect(vhost: str) -> pika.BlockingConnection:
    """Connect as the platform does: BROKER_URL's account, in `vhost`."""
    return pika.BlockingConnection(connection_parameters(vhost))
