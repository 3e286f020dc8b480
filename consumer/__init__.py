"""Classify new-ticket events from Kafka in batches and publish their categories."""
