"""Logic the trainer and the consumer must share: text cleaning and the model artifact."""
