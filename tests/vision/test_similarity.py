import pytest
import torch
import torch.nn.functional as F

from seqkit.vision.similarity import distance, same_person, triplet_loss


def _randn(*shape, seed=0):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def test_hand_worked_triplets():
    f_A = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    f_P = torch.tensor([[1.0, 0.0], [1.0, 0.0]])  # d(A, P) = 1
    f_N = torch.tensor([[0.0, 2.0], [0.0, 1.1]])  # d(A, N) = 4, 1.21
    # max(1 − 4 + 0.2, 0) = 0 (easy triplet); max(1 − 1.21 + 0.2, 0) = 0 (just satisfied)
    assert triplet_loss(f_A, f_P, f_N, alpha=0.2).item() == 0.0
    # with α = 0.5 the hard triplet costs 1 − 1.21 + 0.5 = 0.29; mean over 2 triplets
    assert triplet_loss(f_A, f_P, f_N, alpha=0.5).item() == pytest.approx(0.29 / 2)


def test_triplet_loss_matches_torch_with_squared_distance_and_gradients():
    f_A, f_P, f_N = (_randn(6, 4, seed=s).requires_grad_() for s in range(3))
    ours = triplet_loss(f_A, f_P, f_N, alpha=0.7)
    theirs = F.triplet_margin_with_distance_loss(
        f_A, f_P, f_N, distance_function=lambda a, b: ((a - b) ** 2).sum(-1), margin=0.7)
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(torch.autograd.grad(ours, (f_A, f_P, f_N)),
                               torch.autograd.grad(theirs, (f_A, f_P, f_N)))


def test_zero_encoder_cannot_cheat_the_margin():
    zeros = torch.zeros(3, 5)
    assert triplet_loss(zeros, zeros, zeros, alpha=0.2).item() == pytest.approx(0.2)


def test_verification_threshold():
    f_1 = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    f_2 = torch.tensor([[0.3, 0.4], [3.0, 4.0]])  # d = 0.25, 25
    torch.testing.assert_close(distance(f_1, f_2), torch.tensor([0.25, 25.0]))
    assert same_person(f_1, f_2, tau=0.7).tolist() == [True, False]


def test_errors():
    with pytest.raises(ValueError, match=r"distance: expected two embeddings of one shape"):
        distance(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"triplet_loss: expected a margin α ≥ 0, got -0\.1"):
        triplet_loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1, 2), alpha=-0.1)
