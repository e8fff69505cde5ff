"""One interface, many backends (in the spirit of ASE's Calculator protocol).

`get_calculator(name, device)` returns a ready ASE calculator. Backends whose
weights ship inside their PyPI wheel (CHGNet, SevenNet) load offline; the rest
(MACE, MatterSim, ORB, fairchem) load only from a local weights file the user
passes, so that nothing in sselab ever blocks on a download. ``gpaw`` is
first-principles DFT (plane-wave PAW, PBE; see :mod:`sselab.calculators.paw`),
whose setups ship in the ``gpaw-data`` wheel.

The label of a model (:func:`model_label`, the results-store key of everything
computed with it) names its weights: for a local file, its path and a hash of its
content, so replacing the file invalidates the cached results; for GPAW, the
numerical settings.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ase.calculators.calculator import Calculator

from sselab.calculators.paw import GPAW_VARIANTS, PawSettings, load_gpaw

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "chgnet"


class ModelUnavailableError(RuntimeError):
    """A model cannot be loaded here (package missing, weights not local, unknown name)."""


@dataclass(frozen=True)
class ModelSpec:
    """What a backend needs and offers.

    Attributes:
        name: registry key, as used by ``--model``.
        package: importable module that must be installed.
        extra: pip extra that installs it (``pip install sselab[extra]``).
        variants: named weights; the first is the default.
        bundled_weights: True when weights ship inside the wheel (offline).
        loader: builds the calculator from (variant or weights path, torch device).
        describe: variant -> label text, where the variant name alone does not say
            what is computed (GPAW: the numerical settings).
    """

    name: str
    package: str
    extra: str | None
    variants: tuple[str, ...]
    bundled_weights: bool
    loader: Callable[[str, str], Calculator]
    describe: Callable[[str], str] | None = None


def resolve_device(device: str = "auto") -> str:
    """Return the torch device string for ``device`` ('auto' picks CUDA when present).

    Example:
        >>> resolve_device("cpu")
        'cpu'
    """
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _load_chgnet(variant: str, device: str) -> Calculator:
    import contextlib
    import io

    from chgnet.model import CHGNet

    from sselab.calculators.chgnet_inference import CHGNetInferenceCalculator

    # CHGNet prints its banners ("CHGNet v0.3.0 initialized with ...", "CHGNet will run
    # on cpu") on stdout even with verbose=False, which breaks doctests and piped CLI
    # output; the model and device are logged by the caller instead
    with contextlib.redirect_stdout(io.StringIO()):
        if Path(variant).is_file():
            model = CHGNet.from_file(variant)
        else:
            model = CHGNet.load(model_name=variant, use_device=device, verbose=False)
    return CHGNetInferenceCalculator(model, device=device)


def _load_sevennet(variant: str, device: str) -> Calculator:
    from sevenn.calculator import SevenNetCalculator

    if variant == "7net-mf-0":
        return SevenNetCalculator(model=variant, modal="PBE", device=device)
    return SevenNetCalculator(model=variant, device=device)


def _require_local_file(name: str, weights: str) -> Path:
    path = Path(weights)
    if not path.is_file():
        raise ModelUnavailableError(
            f"model '{name}' needs a local weights file (sselab never downloads weights); "
            f"pass model='{name}:/path/to/weights' or --model {name}:/path/to/weights. "
            f"Not found: '{weights}'."
        )
    return path


def _load_mace(weights: str, device: str) -> Calculator:
    from mace.calculators import MACECalculator

    path = _require_local_file("mace", weights)
    return MACECalculator(model_paths=str(path), device=device, default_dtype="float64")


def _load_mattersim(weights: str, device: str) -> Calculator:
    from mattersim.forcefield import MatterSimCalculator

    path = _require_local_file("mattersim", weights)
    return MatterSimCalculator(load_path=str(path), device=device)


def _load_orb(weights: str, device: str) -> Calculator:
    import torch
    from orb_models.forcefield import pretrained
    from orb_models.forcefield.calculator import ORBCalculator

    path = _require_local_file("orb", weights)
    model = pretrained.orb_v2(weights_path=str(path), device=device)
    model.to(torch.device(device))
    return ORBCalculator(model, device=device)


def _load_fairchem(weights: str, device: str) -> Calculator:
    from fairchem.core import OCPCalculator

    path = _require_local_file("fairchem", weights)
    return OCPCalculator(checkpoint_path=str(path), cpu=device == "cpu")


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("chgnet", "chgnet", None, ("0.3.0", "0.2.0", "r2scan"), True, _load_chgnet),
        ModelSpec(
            "sevennet", "sevenn", None, ("7net-0", "7net-l3i5", "7net-mf-0"), True, _load_sevennet
        ),
        ModelSpec("mace", "mace", "mace", (), False, _load_mace),
        ModelSpec("mattersim", "mattersim", "mattersim", (), False, _load_mattersim),
        ModelSpec("orb", "orb_models", "orb", (), False, _load_orb),
        ModelSpec("fairchem", "fairchem", "fairchem", (), False, _load_fairchem),
        ModelSpec(
            "gpaw",
            "gpaw",
            "dft",
            tuple(GPAW_VARIANTS),
            True,
            load_gpaw,
            describe=lambda variant: PawSettings(xc=GPAW_VARIANTS[variant]).label(),
        ),
    )
}


@cache
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a file's content, memoised on (path, size, mtime) so it is read once."""
    del size, mtime_ns  # part of the memo key only
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_digest(path: str | Path) -> str:
    """First 16 hex digits of the sha256 of a weights file's content.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(suffix=".model") as handle:
        ...     _ = handle.write(b"weights")
        ...     handle.flush()
        ...     weights_digest(handle.name)
        '9a129038d9a00aed'
    """
    stat = Path(path).stat()
    return _file_digest(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)[:16]


def _is_local_file(spec: ModelSpec, variant: str) -> bool:
    return variant not in spec.variants and Path(variant).is_file()


def parse_model(model: str) -> tuple[str, str]:
    """Split ``'name[:variant-or-weights-path]'`` into (name, variant).

    The variant defaults to the backend's first bundled weights. A label of a local
    weights file (``'chgnet:/w/x.pt@sha256:0123456789abcdef'``, what :func:`model_label`
    returns and what pipeline tasks carry) names the same file, provided its content
    still has that hash: a changed file must not be used under the old label's results.

    Example:
        >>> parse_model("chgnet")
        ('chgnet', '0.3.0')
        >>> parse_model("sevennet:7net-l3i5")
        ('sevennet', '7net-l3i5')
    """
    name, _, variant = model.partition(":")
    variant, _, digest = variant.partition("@sha256:")
    name = name.strip().lower()
    if name not in REGISTRY:
        raise ModelUnavailableError(
            f"unknown model '{name}'; registered models: {', '.join(sorted(REGISTRY))}"
        )
    spec = REGISTRY[name]
    if not variant:
        if not spec.variants:
            raise ModelUnavailableError(
                f"model '{name}' has no weights inside its wheel; pass a local file: "
                f"'{name}:/path/to/weights'"
            )
        variant = spec.variants[0]
    elif spec.bundled_weights and variant not in spec.variants and not Path(variant).is_file():
        raise ModelUnavailableError(
            f"model '{name}' has bundled weights {', '.join(spec.variants)}; "
            f"'{variant}' is neither of them nor a local file"
        )
    if digest and _is_local_file(spec, variant) and weights_digest(variant) != digest:
        raise ModelUnavailableError(
            f"weights file {variant} changed since it was labelled (sha256 {digest}, now "
            f"{weights_digest(variant)}): results keyed by the old label were not computed "
            "with it"
        )
    return name, variant


def available_models() -> dict[str, bool]:
    """Map each registered model to whether its Python package is installed.

    Example:
        >>> available_models()["chgnet"]
        True
    """
    return {name: importlib.util.find_spec(s.package) is not None for name, s in REGISTRY.items()}


ALLOW_PICKLE_ENV = "SSELAB_ALLOW_PICKLED_WEIGHTS"


def check_weights_file(path: str | Path, allow_pickle: bool = False) -> None:
    """Refuse a local weights file that needs full unpickling, unless the user opted in.

    CHGNet, SevenNet, MACE and others load weights with ``torch.load(...,
    weights_only=False)``, which runs whatever code a pickle holds. A file that
    ``torch.load(weights_only=True)`` reads (tensors and plain containers only) is safe;
    anything else is loaded only with ``allow_pickle=True`` or the environment variable
    ``SSELAB_ALLOW_PICKLED_WEIGHTS=1`` — for files you trust. Bundled weights inside the
    installed wheels are not checked.

    Raises:
        ModelUnavailableError: naming the file, why, and how to opt in.

    Example:
        >>> import tempfile, torch
        >>> with tempfile.NamedTemporaryFile(suffix=".pt") as handle:
        ...     torch.save({"w": torch.zeros(2)}, handle.name)
        ...     check_weights_file(handle.name)  # tensors only: no error
    """
    if allow_pickle or os.environ.get(ALLOW_PICKLE_ENV) == "1":
        return
    import torch

    try:
        torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for code objects, others for other formats
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelUnavailableError(
            f"{path}: this weights file is not plain tensors (torch.load(weights_only=True) "
            f"refused it: {reason}); loading it would unpickle arbitrary code. If you trust "
            f"the file, set {ALLOW_PICKLE_ENV}=1 (or pass allow_pickle=True)."
        ) from None


@cache
def _cached_calculator(name: str, variant: str, device: str, label: str) -> Calculator:
    """One instance per (model, device, label): a replaced weights file has a new label."""
    spec = REGISTRY[name]
    if importlib.util.find_spec(spec.package) is None:
        hint = f"pip install 'sselab[{spec.extra or spec.package}]'"
        raise ModelUnavailableError(
            f"model '{name}' needs the Python package '{spec.package}', which is not installed "
            f"({hint})"
        )
    # Bundled-weight backends must never reach for the network; make hub
    # libraries fail fast instead of hanging on a blocked connection.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logger.info("loading %s (%s) on %s", name, variant, device)
    calculator = spec.loader(variant, device)
    calculator.sselab_label = label  # type: ignore[attr-defined]  # store key of its results
    return calculator


def get_calculator(
    name: str = DEFAULT_MODEL, device: str = "auto", allow_pickle: bool = False
) -> Calculator:
    """Return an ASE calculator for a registered MLIP or for GPAW.

    Args:
        name: ``'chgnet'`` (default, weights 0.3.0), ``'chgnet:0.2.0'``,
            ``'sevennet'`` (7net-0), ``'sevennet:7net-l3i5'``, a backend with a
            local weights file, e.g. ``'mace:/models/mace-mp-0.model'``, or
            ``'gpaw'`` (DFT, PBE with the default :class:`~sselab.calculators.paw.PawSettings`;
            ``'gpaw:gllbsc'`` for gap-corrected eigenvalues).
        device: ``'auto'`` (CUDA when present), ``'cpu'`` or ``'cuda[:N]'``; GPAW
            always runs on the CPU.
        allow_pickle: load a local weights file that needs full unpickling (see
            :func:`check_weights_file`); only for files you trust.

    Returns:
        An ASE calculator giving energy (eV), forces (eV/Å) and stress (eV/Å^3).
        The same (model, device) returns the same cached instance.

    Raises:
        ModelUnavailableError: unknown name, package missing, or weights not local.

    Example:
        >>> from ase.build import bulk
        >>> atoms = bulk("Li", "bcc", a=3.44)
        >>> atoms.calc = get_calculator("chgnet", device="cpu")
        >>> round(float(atoms.get_potential_energy()), 0)
        -2.0
    """
    model_name, variant = parse_model(name)
    if _is_local_file(REGISTRY[model_name], variant):
        check_weights_file(variant, allow_pickle)
    return _cached_calculator(
        model_name, variant, resolve_device(device), _label(model_name, variant)
    )


def _label(name: str, variant: str) -> str:
    spec = REGISTRY[name]
    if _is_local_file(spec, variant):
        return f"{name}:{variant}@sha256:{weights_digest(variant)}"
    if spec.describe is not None:
        return f"{name}:{spec.describe(variant)}"
    return f"{name}:{variant}"


def model_label(name: str) -> str:
    """Canonical ``'name:variant'`` string used as a cache key and in reports.

    A local weights file is named by its path and the hash of its content
    (``'mace:/m/x.model@sha256:0123456789abcdef'``); GPAW by its settings.

    Example:
        >>> model_label("chgnet")
        'chgnet:0.3.0'
        >>> model_label("gpaw")
        'gpaw:PBE-pw900-k3.5-fd0.01'
    """
    model_name, variant = parse_model(name)
    return _label(model_name, variant)
