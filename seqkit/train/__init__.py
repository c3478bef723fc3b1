"""Training for any task: the loop, checkpoints, progress, devices and distributed helpers."""

from seqkit.train.checkpoint import load_checkpoint, save_checkpoint
from seqkit.train.config import RESUMABLE, TrainConfig
from seqkit.train.signals import Interrupted
from seqkit.train.state import Position, seed_everything
from seqkit.train.trainer import NonFiniteLoss, Trainer, TrainResult, TrainTask

__all__ = ["RESUMABLE", "Interrupted", "NonFiniteLoss", "Position", "TrainConfig",
           "TrainResult", "TrainTask", "Trainer", "load_checkpoint", "save_checkpoint",
           "seed_everything"]
