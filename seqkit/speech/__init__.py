"""Speech: audio I/O and resampling, log-mel features, the CTC loss and its decoders, synthetic
speech, and trigger-word detection.

    waveform = read_wav("clip.wav")                                   # (N,) mono, 16 kHz
    x = normalise(log_mel_spectrogram(waveform))                      # (T, F)
    loss = ctc_loss(log_probs, targets, input_lengths, target_lengths)  # log_probs (B, T, V)
    labels = beam_decode(log_probs, lengths, beam_size=8)             # or greedy_decode
"""

from seqkit.speech.audio import (
    SAMPLE_RATE,
    change_speed,
    read_wav,
    read_wav_with_rate,
    resample,
    write_wav,
)
from seqkit.speech.ctc import ctc_loss
from seqkit.speech.decode import (
    Hypothesis,
    NgramLM,
    WordList,
    beam_decode,
    collapse,
    greedy_decode,
    prefix_beam_search,
)
from seqkit.speech.detect import (
    Detection,
    DetectionStats,
    StreamingDetector,
    bootstrap_frr,
    detect,
    detection_stats,
    lowest_threshold,
    matches,
    score_audio,
)
from seqkit.speech.digits import LABELS, Utterance, digit_utterances, random_voice, read_out
from seqkit.speech.features import (
    FeatureConfig,
    log_mel_spectrogram,
    mel_filterbank,
    normalise,
    spec_augment,
    vtlp_warp,
)
from seqkit.speech.synth import ToolError, Voice, espeak_variants, mix_at_snr, noise
from seqkit.speech.trigger import (
    TRIGGER_FEATURES,
    TriggerClips,
    TriggerWordConfig,
    TriggerWordModel,
    frame_labels,
    make_clip,
    trigger_loss,
)

__all__ = [
    "LABELS",
    "SAMPLE_RATE",
    "TRIGGER_FEATURES",
    "Detection",
    "DetectionStats",
    "FeatureConfig",
    "Hypothesis",
    "NgramLM",
    "StreamingDetector",
    "ToolError",
    "TriggerClips",
    "TriggerWordConfig",
    "TriggerWordModel",
    "Utterance",
    "Voice",
    "WordList",
    "beam_decode",
    "bootstrap_frr",
    "change_speed",
    "collapse",
    "ctc_loss",
    "detect",
    "detection_stats",
    "digit_utterances",
    "espeak_variants",
    "frame_labels",
    "greedy_decode",
    "log_mel_spectrogram",
    "lowest_threshold",
    "make_clip",
    "matches",
    "mel_filterbank",
    "mix_at_snr",
    "noise",
    "normalise",
    "prefix_beam_search",
    "random_voice",
    "read_out",
    "read_wav",
    "read_wav_with_rate",
    "resample",
    "score_audio",
    "spec_augment",
    "trigger_loss",
    "vtlp_warp",
    "write_wav",
]
