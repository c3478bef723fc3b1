"""Trigger detections on constructed score sequences, streaming equals whole, FRR and FA/hour."""

import pytest
import torch

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
from seqkit.speech.features import FeatureConfig
from seqkit.speech.trigger import TriggerWordConfig, TriggerWordModel


def _scores(runs: list[tuple[int, int, float]], T: int = 100) -> torch.Tensor:
    y = torch.full((T,), 0.1)
    for start, end, value in runs:
        y[start:end] = value
    return y


def test_runs_above_threshold_become_detections_with_timestamps() -> None:
    y = _scores([(10, 15, 0.9), (50, 52, 0.7), (70, 71, 0.4)])
    assert detect(y, frame_seconds=0.1, threshold=0.5, refractory_seconds=0.5) == [
        Detection(1.0, 1.5, pytest.approx(0.9)), Detection(5.0, 5.2, pytest.approx(0.7))]
    assert str(detect(y, 0.1, 0.5, 0.5)[0]) == "1.00 1.50 0.900"


def test_refractory_period_merges_a_dip_but_not_a_new_word() -> None:
    y = _scores([(10, 15, 0.9), (17, 19, 0.95), (40, 42, 0.8)])
    merged = detect(y, frame_seconds=0.1, threshold=0.5, refractory_seconds=0.5)
    assert merged == [Detection(1.0, pytest.approx(1.9), pytest.approx(0.95)),
                      Detection(4.0, 4.2, pytest.approx(0.8))]
    assert len(detect(y, frame_seconds=0.1, threshold=0.5, refractory_seconds=0.0)) == 3


@pytest.mark.parametrize("chunk", [1, 3, 7, 100])
def test_streaming_in_chunks_equals_the_whole_sequence(chunk: int) -> None:
    y = torch.rand(100, generator=torch.Generator().manual_seed(0))
    detector = StreamingDetector(frame_seconds=0.01, threshold=0.8, refractory_seconds=0.02)
    found = [d for piece in y.split(chunk) for d in detector.push(piece)] + detector.flush()
    assert found == detect(y, 0.01, 0.8, 0.02)
    assert len(found) > 3


def test_detection_stats_count_misses_and_false_accepts() -> None:
    words = [(1.0, 1.5), (5.0, 5.6), (8.0, 8.4)]
    detections = [Detection(1.6, 1.9, 0.9),  # within 1 s after the first word: a hit
                  Detection(3.0, 3.2, 0.8),  # no word: false accept
                  Detection(1.7, 1.8, 0.7),  # second detection of word 1: false accept
                  Detection(9.5, 9.8, 0.9)]  # 1.1 s after word 3 ends: too late
    stats = detection_stats(detections, words, seconds=1800.0, max_delay_seconds=1.0)
    assert stats == DetectionStats(words=3, misses=2, false_accepts=3, seconds=1800.0)
    assert stats.false_reject_rate == pytest.approx(2 / 3)
    assert stats.false_accepts_per_hour == pytest.approx(6.0)
    pooled = stats + DetectionStats(1, 0, 0, 1800.0)
    assert pooled.false_reject_rate == 0.5 and pooled.false_accepts_per_hour == 3.0
    assert pooled.format("threshold:0.5|refractory:1.0") == (
        "FRR = 50.00% (2/4) | FA/h = 3.00 (3 in 1.000 h) | threshold:0.5|refractory:1.0")


def tiny_model_and_audio() -> tuple[TriggerWordModel, FeatureConfig, torch.Tensor]:
    """A small untrained model, its features, and 2.5 s of noise."""
    torch.manual_seed(0)
    model = TriggerWordModel(TriggerWordConfig(n_mels=8, channels=4, hidden_size=4))
    return model, FeatureConfig(n_mels=8, hop_length=160), torch.randn(int(2.5 * 16000)) * 0.1


def test_score_audio_covers_long_audio_window_by_window() -> None:
    model, features, audio = tiny_model_and_audio()
    y_hat, frame_seconds = score_audio(model, audio, features, window_seconds=1.0)
    per_window = model.output_frames(features.num_frames(16000))
    assert frame_seconds == pytest.approx(1.0 / per_window)
    assert y_hat.shape == (round(2.5 * per_window),) and ((y_hat > 0) & (y_hat < 1)).all()
    assert model.training  # the model's mode is restored


def test_detector_errors() -> None:
    with pytest.raises(ValueError, match=r"StreamingDetector: expected frame_seconds > 0, "
                                         r"threshold in \(0, 1\]"):
        StreamingDetector(0.01, threshold=1.5)


def test_score_audio_with_overlapping_windows_keeps_each_later_windows_second_half() -> None:
    model, features, audio = tiny_model_and_audio()
    whole, frame_seconds = score_audio(model, audio, features, window_seconds=1.0)
    same, _ = score_audio(model, audio, features, window_seconds=1.0, hop_seconds=1.0)
    torch.testing.assert_close(same, whole, rtol=0, atol=0)
    half, seconds = score_audio(model, audio, features, window_seconds=1.0, hop_seconds=0.5)
    T_y = model.output_frames(features.num_frames(16000))  # 22: a hop of 11 frames, 8000 samples
    assert T_y == 22 and seconds == frame_seconds and half.shape == whole.shape == (55,)
    torch.testing.assert_close(half[:T_y], whole[:T_y], rtol=0, atol=0)  # the first window
    for k in (1, 2, 3):  # window k starts at k · 8000 samples; its last 11 frames are kept
        window, _ = score_audio(model, audio[8000 * k:8000 * (k + 2)], features, 1.0)
        kept = half[T_y + 11 * (k - 1):T_y + 11 * k]
        torch.testing.assert_close(kept, window[11:11 + kept.numel()], rtol=1e-6, atol=1e-6)


def _hour(peaks: dict[int, float]) -> torch.Tensor:
    """An hour of scores ŷ at 0.1 s per frame: 0 but for ``peaks`` (frame → ŷ)."""
    y = torch.zeros(36_000)
    for t, value in peaks.items():
        y[t] = value
    return y


def test_lowest_threshold_leaves_at_most_the_allowed_false_accepts_and_no_lower_one_does() -> None:
    y = _hour({1000: 0.95, 5000: 0.8, 9000: 0.7, 13_000: 0.4})

    def count(threshold: float) -> int:
        return len(detect(y, 0.1, threshold))

    for limit, allowed, above in ((0, 0, 0.95), (1, 1, 0.8), (2.5, 2, 0.7), (3, 3, 0.4)):
        t = lowest_threshold(y, 0.1, 3600.0, limit)
        assert t > float(torch.tensor(above)) and t == pytest.approx(above)
        assert count(t) == allowed and count(float(torch.tensor(above))) == allowed + 1
    assert lowest_threshold(y, 0.1, 3600.0, 4) == 0.1  # four detections: the start already
    assert lowest_threshold(y, 0.1, 1800.0, 2) > 0.8  # half an hour at 2 per hour: 1 allowed
    assert lowest_threshold(_hour({10: 1.0}), 0.1, 3600.0, 0) is None  # nothing above 1


def test_lowest_threshold_counts_a_detection_that_splits_at_a_higher_threshold() -> None:
    # one detection at 0.1 (ŷ = 0.3 between its peaks 0.6 and 0.5, 3 s apart): two above 0.3
    y = _hour({1000: 0.9, 20_000: 0.6, 20_030: 0.5, 30_000: 0.4})
    y[20_001:20_030] = 0.3
    assert len(detect(y, 0.1, 0.1)) == 3 and len(detect(y, 0.1, 0.45)) == 3
    t = lowest_threshold(y, 0.1, 3600.0, 2)
    assert t > float(torch.tensor(0.5)) and t == pytest.approx(0.5)  # not just above 0.4
    assert len(detect(y, 0.1, t)) == 2


def test_lowest_threshold_agrees_with_the_20_scores_just_below_it() -> None:
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        y = torch.rand(36_000, generator=g) ** 8  # mostly low, a few high frames
        y = torch.nn.functional.avg_pool1d(y.view(1, 1, -1), 5, 1, 2).flatten()  # smooth runs
        for limit in (1, 5, 20):
            t = lowest_threshold(y, 0.1, 3600.0, limit)
            assert t is not None and len(detect(y, 0.1, t)) <= limit
            lower = [v for v in y.unique().tolist() if 0.1 <= v < t]  # each a threshold
            assert all(len(detect(y, 0.1, v)) > limit for v in lower[-20:])


@pytest.mark.parametrize("seed", range(20))
def test_detect_at_once_equals_the_streaming_detector(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    y = torch.rand(int(torch.randint(0, 600, (1,), generator=g)), generator=g) ** (1 + seed % 7)
    y = y.double() if seed % 2 else y
    for threshold in (0.1, 0.5, 0.9, float(y.max()) if y.numel() else 0.5):
        for refractory in (0.0, 0.03, 1.0):
            streaming = StreamingDetector(0.01, threshold, refractory)
            assert detect(y, 0.01, threshold, refractory) == (streaming.push(y)
                                                             + streaming.flush())


def test_matches_takes_words_in_time_order_and_each_detection_once() -> None:
    found = [Detection(1.2, 1.5, 0.9), Detection(5.5, 5.8, 0.8)]
    words = [(5.0, 5.4), (1.0, 1.1), (1.05, 1.15), (9.0, 9.5)]  # out of order; two share one
    assert matches(found, words, max_delay_seconds=1.0) == [True, True, False, False]
    stats = detection_stats([*found, Detection(20.0, 20.1, 0.6)], words, 3600.0)
    assert (stats.words, stats.misses, stats.false_accepts) == (4, 2, 1)


def _clips(triggers: list[float], false_peaks: list[list[float]],
           frames: int = 100) -> tuple[torch.Tensor, list[tuple[float, float]], torch.Tensor]:
    """Scores at 0.1 s a frame (10 s clips): a clip per ``triggers`` entry, its word at 2–3 s
    and ŷ = the entry at 3.5 s; a clip per ``false_peaks`` entry, with those peaks 2 s apart."""
    positive = torch.zeros(frames * len(triggers))
    words = []
    for c, peak in enumerate(triggers):
        positive[c * frames + 35] = peak
        words.append((c * 10 + 2.0, c * 10 + 3.0))
    negative = torch.zeros(frames * len(false_peaks))
    for c, peaks in enumerate(false_peaks):
        for k, peak in enumerate(peaks):
            negative[c * frames + 10 + 20 * k] = peak
    return positive, words, negative


def test_bootstrap_frr_brackets_the_point_and_narrows_with_more_clips() -> None:
    triggers = [0.9, 0.6, 0.3, 0.95, 0.8, 0.2, 0.7, 0.99]
    false_peaks = [[0.5], [0.85, 0.1], [], [0.4], [0.65], [], [0.3, 0.2], [0.75]] * 45  # 1 h
    positive, words, negative = _clips(triggers, false_peaks)
    t = lowest_threshold(negative, 0.1, 3600.0, 20, start=0.05)
    point = detection_stats(detect(positive, 0.1, t), words, 0.0).false_reject_rate
    interval = bootstrap_frr(positive, words, negative, 0.1, 10.0, (20,), start=0.05,
                             samples=300)[20]
    assert interval[0] <= point <= interval[1] and interval[0] < interval[1]
    assert interval == bootstrap_frr(positive, words, negative, 0.1, 10.0, (20,), start=0.05,
                                     samples=300)[20]  # seeded
    more = _clips(triggers * 16, false_peaks)
    narrower = bootstrap_frr(*more, 0.1, 10.0, (20,), start=0.05, samples=300)[20]
    assert narrower[1] - narrower[0] < (interval[1] - interval[0]) / 2


def test_bootstrap_frr_of_a_clean_separation_is_zero_and_of_none_is_one() -> None:
    positive, words, negative = _clips([0.9] * 5, [[0.5]] * 360)
    assert bootstrap_frr(positive, words, negative, 0.1, 10.0, (1, 20), start=0.05,
                         samples=50) == {1: (0.0, 0.0), 20: (0.0, 0.0)}
    positive, words, negative = _clips([0.9] * 5, [[1.0]] * 360)  # no threshold ≤ 1 will do
    assert bootstrap_frr(positive, words, negative, 0.1, 10.0, (1,), start=0.05,
                         samples=50) == {1: (1.0, 1.0)}
    with pytest.raises(ValueError, match=r"bootstrap_frr: expected samples ≥ 1, level in "):
        bootstrap_frr(positive, words, negative, 0.1, 10.0, (1,), samples=0)
