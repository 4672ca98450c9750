"""The bpstudio engine: exact, vectorised backpropagation in NumPy. It never imports Qt.

Public API::

    from bpstudio.engine import Network, TrainConfig, Trainer
    net = Network.create([2, 2, 1], "sigmoid", init="uniform", init_params={"r": 0.5}, seed=1)
    trainer = Trainer(net, TrainConfig(optimiser="sgd", optimiser_params={"lr": 0.5}), X, T)
    trace = trainer.step_batch()      # every z, a, f′(z), δ, ∂E/∂w and Δw of the step
    trainer.run(epochs=1000)          # the fast loop
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .config import BATCH_MODES, DTYPES, TrainConfig
from .errors import DivergenceError, EngineError, TrainingRefused, UnknownNameError
from .evaluation import TRAIN_EVALS, train_eval_size
from .gradcheck import GradientReport, ParameterCheck, check_parameters, gradient_check
from .history import History, HistoryDelta
from .initialisers import INITIALISERS, get_initialiser
from .losses import LOSSES, REDUCTIONS, Loss, get_loss, reduction_scale
from .metrics import accuracy
from .network import Network
from .optimisers import OPTIMISERS, Optimiser, get_optimiser
from .perceptron import THRESHOLD_UNITS, learning_rule
from .progress import TrainingProgress, epoch_order
from .state import Snapshot, TrainerState
from .stepper import AppliedUpdate, MicroStep, stage_names
from .trace import CONVENTIONS, LayerRecord, StepTrace, UpdateRecord, convention_sign, present
from .training import Progress, RunResult, Trainer, infer_task

__all__ = [
    "THRESHOLD_UNITS",
    "learning_rule",
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "BATCH_MODES",
    "DTYPES",
    "TRAIN_EVALS",
    "train_eval_size",
    "TrainConfig",
    "DivergenceError",
    "EngineError",
    "TrainingRefused",
    "UnknownNameError",
    "gradient_check",
    "History",
    "HistoryDelta",
    "GradientReport",
    "ParameterCheck",
    "check_parameters",
    "accuracy",
    "TrainerState",
    "AppliedUpdate",
    "INITIALISERS",
    "get_initialiser",
    "LOSSES",
    "REDUCTIONS",
    "Loss",
    "get_loss",
    "reduction_scale",
    "Network",
    "OPTIMISERS",
    "Optimiser",
    "get_optimiser",
    "TrainingProgress",
    "epoch_order",
    "MicroStep",
    "stage_names",
    "CONVENTIONS",
    "LayerRecord",
    "StepTrace",
    "UpdateRecord",
    "convention_sign",
    "present",
    "Progress",
    "RunResult",
    "Snapshot",
    "Trainer",
    "infer_task",
]
