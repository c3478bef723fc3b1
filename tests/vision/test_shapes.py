import pytest

from seqkit.vision.shapes import (
    ALEXNET,
    LENET5,
    VGG16,
    Conv,
    Dense,
    Flatten,
    Pool,
    conv_parameters,
    count_parameters,
    table,
    trace,
)


def test_notes_ten_3x3x3_filters_have_280_parameters():
    # notes: (3·3·3 = 27 weights + 1 bias) × 10 filters = 280
    assert conv_parameters(3, 3, 10) == 280
    assert trace((6, 6, 3), [Conv(10, 3)])[0].params == 280


def test_lenet5_shapes_are_the_notes():
    rows = trace((32, 32, 3), LENET5)
    assert [r.shape for r in rows] == [
        (28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)
    ]
    # by hand: (5·5·3+1)·6, (5·5·6+1)·16, (400+1)·120, (120+1)·84, (84+1)·10
    assert [r.params for r in rows] == [456, 0, 2416, 0, 0, 48120, 10164, 850]


def test_vgg16_has_138_million_parameters():
    rows = trace((224, 224, 3), VGG16)
    assert count_parameters(rows) == 138_357_544  # notes: "TOTAL params: 138M"
    # the notes' table, weights without biases: (3*3*3)*64 = 1,728 … 4096*1000 = 4,096,000
    convs = [r for r in rows if r.layer.startswith("conv")]
    assert convs[0].params - 64 == 1_728 and convs[1].params - 64 == 36_864
    assert convs[-1].params - 512 == 2_359_296
    assert [r.params for r in rows[-3:]] == [
        102_760_448 + 4096, 16_777_216 + 4096, 4_096_000 + 1000
    ]
    assert rows[-4].shape == (25088,)  # 7·7·512
    assert sum(r.layer.startswith("conv") for r in rows) == 13


def test_alexnet_shapes_are_the_notes():
    rows = trace((227, 227, 3), ALEXNET)
    spatial = [r.shape for r in rows if len(r.shape) == 3 and not r.layer.startswith("lrn")]
    assert spatial == [(55, 55, 96), (27, 27, 96), (27, 27, 256), (13, 13, 256), (13, 13, 384),
                       (13, 13, 384), (13, 13, 256), (6, 6, 256)]
    assert (9216,) in [r.shape for r in rows]  # notes: 6·6·256 = 9216


def test_one_by_one_reduction_cuts_multiplications_tenfold():
    # notes: 28×28×192 ∗ 32 filters 5×5 "same": 28·28·32·5·5·192 ≈ 120M
    direct = trace((28, 28, 192), [Conv(32, 5, p="same")])
    assert direct[0].mults == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400
    # through a 1×1 bottleneck to 16 channels: 28·28·16·192 + 28·28·32·5·5·16 ≈ 12.4M
    bottleneck = trace((28, 28, 192), [Conv(16, 1), Conv(32, 5, p="same")])
    assert sum(r.mults for r in bottleneck) == 2_408_448 + 10_035_200
    assert bottleneck[-1].shape == direct[0].shape == (28, 28, 32)


def test_pool_keeps_channels_and_has_no_parameters():
    rows = trace((7, 7, 5), [Pool(3, 2, "avg"), Flatten(), Dense(4)])
    assert rows[0] == ("avgpool-3/2", (3, 3, 5), 0, 0)
    assert rows[2].params == (45 + 1) * 4


def test_table_lists_every_layer_and_the_total():
    text = table((32, 32, 3), trace((32, 32, 3), LENET5))
    lines = text.splitlines()
    assert len(lines) == len(LENET5) + 2
    assert "28×28×6" in lines[1] and lines[-1].split()[-1] == "62,006"


def test_errors():
    with pytest.raises(ValueError, match=r"Dense expects a vector, got shape \(5, 5, 16\); add"):
        trace((32, 32, 3), [Conv(16, 5, s=6), Dense(3)])
    with pytest.raises(ValueError, match="filter f=5 is larger than the padded input"):
        trace((4, 4, 1), [Conv(1, 5)])
    with pytest.raises(ValueError, match=r"Conv expects n_H × n_W × n_C, got \(10,\)"):
        trace((10,), [Conv(1, 1)])
