"""Speech: audio I/O and resampling, log-mel features, the CTC loss and its decoders, synthetic
speech, and trigger-word detection."""
