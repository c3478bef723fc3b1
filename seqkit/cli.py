"""The ``seqkit`` command: click verbs that parse arguments and call one library function each.

``train``, ``evaluate`` and ``bleu`` serve every task; each task adds its own verbs (``translate``
for seq2seq, ...) from its verbs module (see :mod:`seqkit.tasks`). Errors in the user's input
(:class:`seqkit.errors.SeqkitError`) and failures to read or write a file print as one line on
stderr and exit with status 1; click's own usage errors exit with status 2; Ctrl-C exits with
130 and SIGTERM with 143, after training has saved its ``last.pt``.
"""

import os
import sys
from pathlib import Path

import click

from seqkit import __version__
from seqkit.errors import SeqkitError


class _Group(click.Group):
    """seqkit's verbs, the tasks' own verbs among them; user-facing errors become one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_task_verbs()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or _task_verbs().get(name)

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except SeqkitError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:  # a file that cannot be written; stdout's own are run()'s
            if not error.filename:
                raise
            reason = (error.strerror or str(error)).lower()
            raise click.ClickException(f"{error.filename}: {reason}") from None


def _task_verbs() -> dict[str, click.Command]:
    from seqkit.tasks import TASKS, task_cli

    return {verb.name or "": verb for name in TASKS for verb in task_cli(name).VERBS}


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seqkit")
@click.option("--threads", type=click.IntRange(min=1), metavar="N",
              help="torch's CPU threads for this command; 1 when other jobs share the cores "
                   "(torch's threads wait on each other when one core is taken). A recipe's "
                   "train.threads still sets training's.")
def main(threads: int | None) -> None:
    """seqkit: train sequence models from a recipe, use them, and score them."""
    if threads:
        import torch

        torch.set_num_threads(threads)


@main.command()
@click.argument("recipe", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a recipe value, e.g. --set train.lr=3e-4 (repeatable).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Run directory [default: runs/<recipe name>].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last.pt.")
@click.option("--overwrite", is_flag=True, help="Replace a run already in --out.")
def train(recipe: str, overrides: tuple[str, ...], out: str | None, resume: bool,
          overwrite: bool) -> None:
    """Train the model a RECIPE (YAML) describes."""
    from seqkit import api
    from seqkit.tasks import load_recipe
    from seqkit.train import distributed

    out_dir = Path(out) if out else Path("runs") / Path(recipe).stem
    result = api.train(load_recipe(recipe, overrides), out_dir, resume=resume,
                       overwrite=overwrite)
    if not distributed.is_main():
        return
    best = "n/a" if result.best is None else f"{result.best:.4f}"
    if result.finished_before:
        click.echo(f"{result.out_dir}: already finished at step {result.steps} (best "
                   f"{result.metric} {best}); nothing to do. To train on, raise train.epochs or "
                   "train.max_steps with --set")
    else:
        click.echo(f"trained {result.steps} steps; best {result.metric} {best}; "
                   f"model in {result.out_dir}")


class _Evaluate(click.Command):
    """``seqkit evaluate``, whose options are the common ones plus every task's own."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        from seqkit.tasks import TASKS, task_cli

        params = {p.name: p for p in super().get_params(ctx)}
        for name in TASKS:
            params.update({p.name: p for p in task_cli(name).EVALUATE_OPTIONS
                           if p.name not in params})
        return list(params.values())


@main.command(cls=_Evaluate)
@click.argument("model", type=click.Path())
@click.option("--split", default="test", show_default=True, help="Held-out split of the recipe.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as a JSON object.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
              show_default=True, help="Where the model runs.")
def evaluate(model: str, split: str, as_json: bool, device: str, **options: object) -> None:
    """Score MODEL (run directory or checkpoint) on a held-out split of its recipe, with the
    metrics of its task (BLEU for seq2seq, ...)."""
    from seqkit import api
    from seqkit.tasks import task_cli

    task = api.load(model, device=device)
    given = {k: v for k, v in options.items() if v is not None}
    own = {p.name for p in task_cli(task.name).EVALUATE_OPTIONS}
    foreign = sorted(set(given) - own)
    if foreign:
        names = ", ".join("--" + k.replace("_", "-") for k in foreign)
        raise SeqkitError(f"{model}: a {task.name} model; {names} is not an option of its "
                          f"evaluation")
    report = task.evaluate(split, **given)
    click.echo(report.to_json() if as_json else f"{model} on {report.format()}")


@main.command()
@click.argument("hyp")
@click.option("-r", "--ref", "refs", required=True, multiple=True,
              help="Reference file, one line per HYP line (repeatable for more references).")
@click.option("--tokenize", type=click.Choice(["13a", "intl", "char", "none"]), default="13a",
              show_default=True, help="sacrebleu's tokeniser.")
@click.option("--lowercase", is_flag=True, help="Lowercase hypotheses and references.")
@click.option("--json", "as_json", is_flag=True, help="Print every statistic as a JSON object.")
def bleu(hyp: str, refs: tuple[str, ...], tokenize: str, lowercase: bool, as_json: bool) -> None:
    """Corpus BLEU of HYP (a file, or - for stdin) against -r REF files, as sacrebleu -f text."""
    import json

    from seqkit.metrics.bleu import BLEU

    score = BLEU(tokenize=tokenize, lowercase=lowercase).score_files(hyp, refs)
    click.echo(json.dumps(score.as_dict(), indent=1, ensure_ascii=False) if as_json
               else score.format())


@main.command()
@click.argument("checkpoints", nargs=-1, required=True, type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The averaged checkpoint file to write.")
def average(checkpoints: tuple[str, ...], out: str) -> None:
    """Average the model weights of CHECKPOINTS (files or run directories) of one recipe into
    --out, an inference checkpoint that evaluate and the task's verbs load."""
    from seqkit.train.average import average_checkpoints

    result = average_checkpoints(checkpoints, out)
    click.echo(f"averaged {result.tensors} tensors of {len(result.sources)} checkpoints into "
               f"{result.out}")


def run(args: list[str] | None = None) -> None:
    """The console entry point: exit 130 on Ctrl-C (143 on SIGTERM), and one line, not a
    traceback, when stdout cannot be written (a full disk, a closed pipe)."""
    from seqkit.train.signals import Interrupted

    try:
        try:
            main.main(args, standalone_mode=False)
        finally:
            sys.stdout.flush()
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort as abort:  # click turns KeyboardInterrupt into Abort
        cause = abort.__cause__
        sys.exit(cause.exit_code if isinstance(cause, Interrupted) else 130)
    except OSError as error:  # stdout itself failed: a full disk, a closed pipe
        if not isinstance(error, BrokenPipeError):
            reason = (error.strerror or str(error)).lower()
            print(f"Error: standard output: cannot write ({reason})", file=sys.stderr)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # exit without retrying
        sys.exit(1)


if __name__ == "__main__":
    run(sys.argv[1:])
