"""Training for any task: the loop, checkpoints, progress and distributed helpers."""

from seqkit.train.checkpoint import load_checkpoint, save_checkpoint
from seqkit.train.trainer import Position, TrainConfig, Trainer, TrainResult, TrainTask

__all__ = ["Position", "TrainConfig", "TrainResult", "TrainTask", "Trainer", "load_checkpoint",
           "save_checkpoint"]
