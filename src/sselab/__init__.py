"""sselab: from candidate solid electrolyte to evidence.

Subpackages follow the stages of the science: ``structures``, ``calculators``,
``thermo``, ``transport``, ``diffraction``, ``electrochem``, ``pipeline`` and
``report``. The ``sselab`` command (``sselab.cli``) is a thin layer over them.
"""

__version__ = "0.1.0"
