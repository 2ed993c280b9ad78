"""balnet: mean-field theory of balanced excitatory-inhibitory spiking networks with
low-dimensional latent variables, checked against an embedded spiking simulator.

Units everywhere: seconds, mV, Hz. Every function that takes a ``model`` accepts a
``balnet.Model``, a dict with the fields of the TOML format, a preset name
(``balnet.presets()``), the path of a ``.toml``/``.json`` file, or TOML text. Results are
plain dicts whose numeric lists are numpy arrays; errors are ``balnet.BalnetError``
(a ``ValueError``) with the crate's message. The interpreter is released while the
crate computes, so threads run meanwhile. See docs/python.md (the Python guide) and
docs/theory.md (the equations).
"""

from ._balnet import (
    BalnetError,
    Model,
    __version__,
    brunel_a,
    compare,
    dynamics,
    export_nest,
    fixed_points,
    presets,
    rate_distribution,
    read_nest,
    siegert,
    siegert_derivative,
    simulate,
    solve,
    spectrum,
    stability,
    susceptibility,
)

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
