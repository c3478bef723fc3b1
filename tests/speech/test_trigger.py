"""Trigger word: clips, frame labels, the Conv1D → GRU → GRU model against torch.nn."""

import itertools
import random

import pytest
import torch
from torch import nn

from seqkit.errors import ConfigError
from seqkit.speech.features import FeatureConfig
from seqkit.speech.trigger import (
    TRIGGER_FEATURES,
    Conv1d,
    TriggerClips,
    TriggerWordConfig,
    TriggerWordModel,
    colour,
    frame_labels,
    make_clip,
    parametric,
    trigger_loss,
)

TINY = TriggerWordConfig(n_mels=8, channels=6, kernel_size=15, stride=4, hidden_size=5,
                         dropout=0.1)


def test_default_output_rate_is_the_assignments() -> None:
    T = TRIGGER_FEATURES.num_frames(160_000)  # 10 s at 16 kHz
    assert T == 5518
    assert TriggerWordModel().output_frames(T) == 1376  # ≈ the assignment's T_y = 1375


def test_conv1d_equals_torch() -> None:
    conv = Conv1d(3, 4, kernel_size=5, stride=2).double()
    oracle = nn.Conv1d(3, 4, 5, stride=2).double()
    oracle.load_state_dict(conv.state_dict())
    x = torch.randn(2, 3, 17, dtype=torch.float64)
    torch.testing.assert_close(conv(x), oracle(x))
    assert conv(x).shape == (2, 4, 7)  # ⌊(17 − 5) / 2⌋ + 1
    with pytest.raises(ValueError, match=r"Conv1d: expected input of shape \(B, 3, T ≥ 5\), "
                                         r"got \(2, 3, 4\)"):
        conv(x[..., :4])


def test_model_equals_torch_nn_in_eval_mode() -> None:
    torch.manual_seed(0)
    model = TriggerWordModel(TINY).double()
    with torch.no_grad():  # non-trivial batch-norm statistics
        model.norm.moving_mean.uniform_(-1, 1)
        model.norm.moving_var.uniform_(0.5, 2)
        model.norm.gamma.uniform_(0.5, 2)
    model.eval()
    conv = nn.Conv1d(8, 6, 15, stride=4).double()
    conv.load_state_dict(model.conv.state_dict())
    norm = nn.BatchNorm1d(6).double().eval()
    norm.load_state_dict({"weight": model.norm.gamma, "bias": model.norm.beta,
                          "running_mean": model.norm.moving_mean,
                          "running_var": model.norm.moving_var,
                          "num_batches_tracked": torch.tensor(0)})
    gru = nn.GRU(6, 5, num_layers=2, batch_first=True).double()
    gru.load_state_dict(model.gru.state_dict())
    dense = nn.Linear(5, 1).double()
    dense.load_state_dict(model.out.state_dict())
    x = torch.randn(3, 60, 8, dtype=torch.float64)  # (B, T, F)
    h, _ = gru(torch.relu(norm(conv(x.transpose(1, 2)))).transpose(1, 2))
    expected = dense(h).squeeze(2)  # (B, T_y)
    z = model(x)
    assert z.shape == (3, model.output_frames(60)) == (3, 12)
    torch.testing.assert_close(z, expected)


def test_training_lowers_the_loss_on_two_clips() -> None:
    torch.manual_seed(0)
    model = TriggerWordModel(TINY)
    x = torch.randn(2, 47, 8)
    y = torch.zeros(2, model.output_frames(47))  # (2, 9)
    y[0, 2:5] = 1
    y[1, 6:] = 1
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    first = trigger_loss(model, x, y).item()
    for _ in range(25):
        optimizer.zero_grad()
        loss = trigger_loss(model, x, y)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first


def test_make_clip_places_words_without_overlap() -> None:
    background = torch.zeros(1000, dtype=torch.float64)
    positives = [torch.full((100,), 1.0, dtype=torch.float64)]
    negatives = [torch.full((50,), -1.0, dtype=torch.float64)]
    placed = 0
    for seed in range(20):
        clip = make_clip(background, positives, negatives, random.Random(seed))
        placed += len(clip.positives) + len(clip.negatives)
        again = make_clip(background, positives, negatives, random.Random(seed))
        assert (again.positives, again.negatives) == (clip.positives, clip.negatives)
        assert len(clip.positives) <= 4 and len(clip.negatives) <= 2
        spans = sorted(clip.positives + clip.negatives)
        assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(spans))
        expected = torch.zeros(1000, dtype=torch.float64)
        for start, end in clip.positives:
            expected[start:end] += 1.0
        for start, end in clip.negatives:
            expected[start:end] -= 1.0
        torch.testing.assert_close(clip.waveform, expected)
    assert placed > 40  # most draws find a place
    assert (background == 0).all()  # the background is not changed in place
    with pytest.raises(ValueError, match="make_clip: a positive word of 2000 samples does not "
                                         "fit a clip of 1000"):
        make_clip(background, [torch.zeros(2000)], [], random.Random(1), max_positives=1)


def test_make_clip_records_which_positive_went_where() -> None:
    background = torch.zeros(2000, dtype=torch.float64)
    positives = [torch.full((100 + 10 * k,), float(k + 1), dtype=torch.float64)
                 for k in range(3)]
    drawn = set()
    for seed in range(20):
        clip = make_clip(background, positives, [], random.Random(seed))
        assert len(clip.positive_words) == len(clip.positives)
        for (start, end), k in zip(clip.positives, clip.positive_words, strict=True):
            torch.testing.assert_close(clip.waveform[start:end], positives[k])
            drawn.add(k)
    assert drawn == {0, 1, 2}
    with pytest.raises(ValueError, match="expected a voice per positive word, got 1 for 3"):
        TriggerClips([background], positives, [], count=1, clip_seconds=0.1, voices=["x"])


def test_frame_labels_mark_50_outputs_after_each_positive() -> None:
    y = frame_labels([(70_000, 80_000), (150_000, 159_000)], 160_000, 1376)
    assert y.shape == (1376,)
    assert y.nonzero().flatten().tolist() == list(range(689, 739)) + list(range(1368, 1376))


def test_clips_dataset_is_deterministic_and_labelled() -> None:
    g = torch.Generator().manual_seed(0)
    backgrounds = [torch.randn(20_000, generator=g) * 0.01]
    positives = [torch.randn(1600, generator=g) * 0.3]
    negatives = [torch.randn(1200, generator=g) * 0.3]
    features = FeatureConfig(n_mels=8, hop_length=160)
    clips = TriggerClips(backgrounds, positives, negatives, count=6, seed=3, clip_seconds=1.0,
                         model=TINY, features=features, label_frames=3)
    x, y = clips[2]
    assert x.shape == (101, 8) and y.shape == (clips.num_outputs,) == (22,)
    x2, y2 = clips[2]
    torch.testing.assert_close(x, x2, rtol=0, atol=0)
    torch.testing.assert_close(y, y2, rtol=0, atol=0)
    for i in range(len(clips)):
        clip = clips.clip(i)
        expected = frame_labels(clip.positives, 16_000, 22, label_frames=3)
        torch.testing.assert_close(clips[i][1], expected)
    with pytest.raises(ValueError, match=r"TriggerClips: expected backgrounds of at least 2\.0 s"):
        TriggerClips(backgrounds, positives, negatives, count=1, clip_seconds=2.0)


def test_clips_hold_up_to_max_negatives_other_words() -> None:
    g = torch.Generator().manual_seed(0)
    backgrounds = [torch.zeros(40_000)]
    positives, negatives = [torch.randn(800, generator=g)], [torch.randn(800, generator=g)]

    def counts(most: int) -> set[int]:
        clips = TriggerClips(backgrounds, positives, negatives, count=60, seed=1,
                             clip_seconds=2.0, max_negatives=most)
        return {len(clips.clip(i).negatives) for i in range(len(clips))}

    assert counts(2) == {0, 1, 2}  # the notes' default
    assert counts(4) == {0, 1, 2, 3, 4}
    assert counts(0) == {0}


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"stride": 0}, r"model\.stride: expected ≥ 1, got 0"),
    ({"dropout": 1.0}, r"model\.dropout: expected in \[0, 1\), got 1\.0"),
])
def test_config_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        TriggerWordConfig(**kwargs)


def test_make_clip_keeps_positives_a_gap_apart_and_speed_perturbs_words() -> None:
    background = torch.zeros(4000, dtype=torch.float64)
    positives = [torch.ones(100, dtype=torch.float64)]
    for seed in range(20):
        clip = make_clip(background, positives, [], random.Random(seed), gap=500)
        assert all(s2 - e1 >= 500 for (_, e1), (s2, _) in itertools.pairwise(clip.positives))
        fast = make_clip(background, positives, [], random.Random(seed), speed=0.1)
        again = make_clip(background, positives, [], random.Random(seed), speed=0.1)
        assert fast.positives == again.positives
        # 0.9–1.1 times as fast: 100 samples become 91–112
        assert all(91 <= e - s <= 112 for s, e in fast.positives)
    lengths = {e - s for seed in range(20)
               for s, e in make_clip(background, positives, [], random.Random(seed),
                                     speed=0.1).positives}
    assert len(lengths) > 3


def test_clip_augmentation_is_drawn_per_clip_from_its_seed() -> None:
    g = torch.Generator().manual_seed(0)
    backgrounds = [torch.randn(20_000, generator=g) * 0.01]
    positives = [torch.randn(1600, generator=g) * 0.3]
    features = FeatureConfig(n_mels=8, hop_length=160)

    def clips(seed: str, **augment: float) -> TriggerClips:
        return TriggerClips(backgrounds, positives, positives, count=6, seed=seed,
                            clip_seconds=1.0, model=TINY, features=features, **augment)

    plain = clips("0:train:0")
    assert {plain.warp(i) for i in range(6)} == {1.0}
    warped, again = clips("0:train:0", vtlp=0.1), clips("0:train:0", vtlp=0.1)
    alphas = [warped.warp(i) for i in range(6)]
    assert all(0.9 <= a <= 1.1 for a in alphas) and len(set(alphas)) == 6
    assert alphas == [again.warp(i) for i in range(6)]
    assert alphas != [clips("0:train:1", vtlp=0.1).warp(i) for i in range(6)]
    torch.testing.assert_close(warped[2][0], again[2][0], rtol=0, atol=0)
    assert not torch.equal(warped[2][0], plain[2][0])
    torch.testing.assert_close(warped[2][1], plain[2][1])  # VTLP keeps the labels


def test_colour_keeps_the_peak_and_draws_its_channel_from_the_rng() -> None:
    g = torch.Generator().manual_seed(0)
    word = torch.randn(4000, generator=g, dtype=torch.float64)
    high = torch.fft.rfftfreq(4000, 1 / 16_000) > 7000

    def energy_above_7k(x: torch.Tensor) -> float:
        return float(torch.fft.rfft(x)[high].abs().pow(2).sum())

    coloured = [colour(word, random.Random(seed), 6.0, 1.0) for seed in range(8)]
    for x in coloured:
        assert x.abs().max() == pytest.approx(float(word.abs().max()))
        assert energy_above_7k(x) / x.pow(2).sum() < energy_above_7k(word) / word.pow(2).sum()
    torch.testing.assert_close(colour(word, random.Random(3), 6.0, 1.0), coloured[3])
    assert not torch.equal(coloured[0], coloured[1])
    flat = colour(word, random.Random(0), 0.0, 0.0)  # no tilt, no low-pass: the word itself
    torch.testing.assert_close(flat, word)


def test_make_clip_colours_words_only_when_asked() -> None:
    background = torch.zeros(4000, dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    positives = [torch.randn(300, generator=g, dtype=torch.float64)]
    placed = 0
    for seed in range(10):
        plain = make_clip(background, positives, [], random.Random(seed))
        again = make_clip(background, positives, [], random.Random(seed), tilt=0.0, lowpass=0.0)
        torch.testing.assert_close(plain.waveform, again.waveform, rtol=0, atol=0)
        coloured = make_clip(background, positives, [], random.Random(seed), tilt=6.0,
                             lowpass=0.5)
        for s, e in coloured.positives:
            assert not torch.allclose(coloured.waveform[s:e], positives[0])
            assert coloured.waveform[s:e].abs().max() == pytest.approx(
                float(positives[0].abs().max()))
            placed += 1
    assert placed > 5


def test_parametric_keeps_length_and_peak_and_draws_its_envelope_from_the_rng() -> None:
    g = torch.Generator().manual_seed(0)
    word = torch.cat([torch.randn(2000, generator=g), 1e-4 * torch.randn(800, generator=g),
                      torch.randn(2000, generator=g)])
    rendered = [parametric(word, random.Random(seed)) for seed in range(4)]
    for x in rendered:
        assert x.shape == word.shape and x.dtype == word.dtype
        assert x.abs().max() == pytest.approx(float(word.abs().max()))
        assert x[2200:2600].pow(2).mean() > 100 * word[2200:2600].pow(2).mean()  # closure filled
    torch.testing.assert_close(parametric(word, random.Random(2)), rendered[2])
    assert not torch.equal(rendered[0], rendered[1])


def test_make_clip_gives_words_a_parametric_envelope_only_when_asked() -> None:
    background = torch.zeros(8000, dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    positives = [torch.randn(1200, generator=g, dtype=torch.float64)]
    changed = same = 0
    for seed in range(10):
        plain = make_clip(background, positives, [], random.Random(seed))
        again = make_clip(background, positives, [], random.Random(seed), envelope=0.0)
        torch.testing.assert_close(plain.waveform, again.waveform, rtol=0, atol=0)
        clip = make_clip(background, positives, [], random.Random(seed), envelope=0.5)
        for s, e in clip.positives:
            if torch.equal(clip.waveform[s:e], positives[0]):
                same += 1
            else:
                changed += 1
    assert changed > 2 and same > 2  # about half of the words


def test_spec_augment_masks_bands_and_spans_drawn_from_the_clips_seed() -> None:
    g = torch.Generator().manual_seed(0)
    backgrounds = [torch.randn(20_000, generator=g) * 0.01]
    positives = [torch.randn(1600, generator=g) * 0.3]
    features = FeatureConfig(n_mels=16, hop_length=160)  # 0.1 s = 10 frames

    def clips(seed: str, spec_augment: bool) -> TriggerClips:
        return TriggerClips(backgrounds, positives, positives, count=6, seed=seed,
                            clip_seconds=1.0, model=TINY, features=features,
                            spec_augment=spec_augment)

    plain, masked = clips("0:train:0", False), clips("0:train:0", True)
    for i in range(6):
        (x, y), (x_masked, y_masked) = plain[i], masked[i]
        torch.testing.assert_close(y_masked, y)  # masks keep the labels
        zero = x_masked == 0
        bands, frames = zero.all(0), zero.all(1)
        assert bands.sum() <= 16 and frames.sum() <= 20  # 2 × up to 8 bands, 2 × up to 10 frames
        torch.testing.assert_close(x_masked[~zero], x[~zero], rtol=0, atol=0)
        assert torch.equal(zero, bands.unsqueeze(0) | frames.unsqueeze(1))  # whole bands, spans
        torch.testing.assert_close(masked[i][0], x_masked, rtol=0, atol=0)  # same on every call
    drawn = [masked[i][0] == 0 for i in range(6)]
    assert len({tuple(m.all(0).nonzero().flatten().tolist()) for m in drawn}) > 1
    other = clips("0:train:1", True)
    assert any(not torch.equal(other[i][0] == 0, drawn[i]) for i in range(6))
