"""The demo and its local infrastructure: sample ticket databases and an embedded broker."""
