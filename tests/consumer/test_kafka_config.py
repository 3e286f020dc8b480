from consumer.kafka_config import consumer_config, producer_config
from consumer.settings import ConsumerSettings


def test_enforced_values_beat_user_extras():
    settings = ConsumerSettings(
        bootstrap_servers="b:9092",
        kafka_properties={"enable.auto.commit": "true", "acks": "1", "fetch.min.bytes": "10"},
    )
    consumer = consumer_config(settings)
    producer = producer_config(settings)
    assert consumer["enable.auto.commit"] is False
    assert consumer["enable.auto.offset.store"] is False
    assert producer["acks"] == "all"
    assert producer["enable.idempotence"] is True
    assert consumer["fetch.min.bytes"] == "10"


def test_prefixed_extras_go_to_one_client():
    settings = ConsumerSettings(
        kafka_properties={"consumer.session.timeout.ms": "9000", "producer.linger.ms": "20"}
    )
    consumer = consumer_config(settings)
    producer = producer_config(settings)
    assert consumer["session.timeout.ms"] == "9000"
    assert "session.timeout.ms" not in producer
    assert producer["linger.ms"] == "20"
    assert "linger.ms" not in consumer


def test_user_extras_override_defaults():
    settings = ConsumerSettings(kafka_properties={"auto.offset.reset": "latest"})
    assert consumer_config(settings)["auto.offset.reset"] == "latest"


def test_bootstrap_servers_read_from_kafka_variable(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    assert ConsumerSettings().bootstrap_servers == "k1:9092,k2:9092"
    monkeypatch.setenv("CONSUMER_BOOTSTRAP_SERVERS", "c:9092")
    assert ConsumerSettings().bootstrap_servers == "c:9092"


def test_kafka_properties_env_takes_json(monkeypatch):
    monkeypatch.setenv("CONSUMER_KAFKA_PROPERTIES", '{"security.protocol": "SASL_SSL"}')
    assert ConsumerSettings().kafka_properties == {"security.protocol": "SASL_SSL"}
