"""Type stubs of balnet (the extension module balnet._balnet, re-exported here).

Units everywhere: seconds, mV, Hz. See docs/python.md.
"""

import os
from collections.abc import Callable, Sequence
from typing import Any, Literal, Optional, Union, final

import numpy as np
import numpy.typing as npt

__version__: str

__all__ = [
    "BalnetError",
    "Model",
    "__version__",
    "brunel_a",
    "compare",
    "dynamics",
    "export_nest",
    "fixed_points",
    "presets",
    "rate_distribution",
    "read_nest",
    "siegert",
    "siegert_derivative",
    "simulate",
    "solve",
    "spectrum",
    "stability",
    "susceptibility",
]

class BalnetError(ValueError):
    """An error of balnet: names the parameter, its value, the rule and the unit."""

@final
class Model:
    """A balnet network Model (docs/theory.md section 1), validated and immutable.

    ``Model(source)`` accepts a Model, a dict with the fields of the TOML format, a preset
    name, the path of a ``.toml``/``.json`` file, or TOML text.
    """

    def __new__(cls, source: _ModelLike) -> Model: ...
    @staticmethod
    def from_dict(d: dict[str, Any]) -> Model: ...
    @staticmethod
    def from_toml(text: str) -> Model: ...
    @staticmethod
    def from_json(text: str) -> Model: ...
    @staticmethod
    def from_file(path: Union[str, os.PathLike[str]]) -> Model: ...
    @staticmethod
    def preset(name: str) -> Model: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_toml(self) -> str: ...
    def to_json(self) -> str: ...
    def save(self, path: Union[str, os.PathLike[str]]) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def p(self) -> int: ...
    @property
    def d(self) -> int: ...
    @property
    def d_in(self) -> int: ...
    @property
    def population_names(self) -> list[str]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> tuple[type[Model], tuple[dict[str, Any]]]: ...

_ModelLike = Union[Model, dict[str, Any], str, os.PathLike[str]]
"""Anything a ``model`` argument accepts."""

_ArrayLike = Union[float, Sequence[float], npt.NDArray[np.floating[Any]]]
"""A number or a 1-D sequence or array of numbers."""

_Progress = Union[bool, None, Callable[[str], Any]]
"""``True``: one line per phase on ``sys.stderr``; a callable receives each line."""

_Limit = Literal["finite", "balanced"]
_Transfer = Literal["siegert", "shot-noise"]
_Noise = Literal["poisson", "renewal", "spectral", "correlated", "correlated-full"]
_Response = Literal["closed-form", "threshold"]

_Result = dict[str, Any]
"""A result dict: plain values, with numeric lists as numpy arrays (see each function)."""

def presets() -> list[str]: ...
def brunel_a(
    g: float,
    eta: float,
    j: float = 0.1,
    c_e: int = 1000,
    n_e: int = 10000,
    n_i: int = 2500,
) -> Model: ...
def siegert(
    mu: Union[float, npt.ArrayLike],
    sigma: Union[float, npt.ArrayLike],
    tau_m: float = 0.02,
    tau_ref: float = 0.002,
    theta: float = 20.0,
    v_reset: float = 10.0,
) -> Union[float, npt.NDArray[np.float64]]: ...
def siegert_derivative(
    mu: Union[float, npt.ArrayLike],
    sigma: Union[float, npt.ArrayLike],
    tau_m: float = 0.02,
    tau_ref: float = 0.002,
    theta: float = 20.0,
    v_reset: float = 10.0,
) -> Union[float, npt.NDArray[np.float64]]: ...
def susceptibility(
    mu: float,
    sigma: float,
    frequencies_hz: _ArrayLike,
    tau_m: float = 0.02,
    tau_ref: float = 0.002,
    theta: float = 20.0,
    v_reset: float = 10.0,
    response: _Response = "closed-form",
) -> _Result: ...
def solve(
    model: _ModelLike,
    kappa: Optional[_ArrayLike] = None,
    s: Optional[_ArrayLike] = None,
    *,
    limit: _Limit = "finite",
    transfer: Optional[_Transfer] = None,
    noise: Optional[_Noise] = None,
    all_states: bool = False,
    progress: _Progress = None,
) -> _Result: ...
def fixed_points(
    model: _ModelLike,
    s: Optional[_ArrayLike] = None,
    *,
    kappa_max: float = 80.0,
    grid: int = 161,
    starts: int = 40,
    limit: _Limit = "finite",
    transfer: Optional[_Transfer] = None,
    noise: Optional[_Noise] = None,
    progress: _Progress = None,
) -> _Result: ...
def dynamics(
    model: _ModelLike,
    t_end: Optional[float] = None,
    dt_out: float = 0.01,
    kappa0: Optional[_ArrayLike] = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    limit: _Limit = "finite",
    transfer: Optional[_Transfer] = None,
    noise: Optional[_Noise] = None,
    progress: _Progress = None,
) -> _Result: ...
def rate_distribution(
    model: _ModelLike,
    pop: Union[str, int],
    kappa: Optional[_ArrayLike] = None,
    s: Optional[_ArrayLike] = None,
    *,
    points: int = 400,
    rates_hz: Optional[_ArrayLike] = None,
    silent_threshold_hz: float = 1e-3,
    limit: _Limit = "finite",
    transfer: Optional[_Transfer] = None,
    noise: Optional[_Noise] = None,
    progress: _Progress = None,
) -> _Result: ...
def simulate(
    model: _ModelLike,
    *,
    duration: Optional[float] = None,
    warmup: Optional[float] = None,
    seed: Optional[int] = None,
    noise_seed: Optional[int] = None,
    mode: Optional[Literal["grid", "precise"]] = None,
    dt: Optional[float] = None,
    threads: int = 0,
    out: Union[str, os.PathLike[str], None] = None,
    progress: _Progress = None,
) -> _Result: ...
def compare(
    model: _ModelLike,
    *,
    sim: Optional[_Result] = None,
    duration: Optional[float] = None,
    seed: Optional[int] = None,
    mode: Optional[Literal["grid", "precise"]] = None,
    threads: int = 0,
    all_closures: bool = False,
    variants: Optional[Sequence[tuple[_Transfer, _Noise]]] = None,
    out: Union[str, os.PathLike[str], None] = None,
    progress: _Progress = None,
) -> _Result: ...
def stability(
    model: _ModelLike,
    kappa: Optional[_ArrayLike] = None,
    *,
    search_box: tuple[float, float, float] = ...,  # (-20.0, 400.0, 600.0)
    hermite_nodes: int = 48,
    response: _Response = "closed-form",
    limit: _Limit = "finite",
    transfer: Optional[_Transfer] = None,
    noise: Optional[_Noise] = None,
    progress: _Progress = None,
) -> _Result: ...
def spectrum(
    model: _ModelLike,
    frequencies_hz: Optional[_ArrayLike] = None,
    *,
    f_max: float = 500.0,
    points: int = 100,
    kappa: Optional[_ArrayLike] = None,
    hermite_nodes: int = 48,
    response: _Response = "closed-form",
    limit: _Limit = "finite",
    transfer: Optional[_Transfer] = None,
    noise: Optional[_Noise] = None,
    progress: _Progress = None,
) -> _Result: ...
def export_nest(
    model: _ModelLike,
    path: Union[str, os.PathLike[str], None] = None,
    *,
    threads: int = 1,
    out_dir: str = "nest_out",
    seed: Optional[int] = None,
    n_scale: Optional[float] = None,
) -> str: ...
def read_nest(folder: Union[str, os.PathLike[str]]) -> _Result: ...
