"""The simulated Hub: synthetic listings with ground truth, served as the Hub API on 127.0.0.1.

The generator — :mod:`~lineage.sim.generate` (``generate``, ``write_hub``, the truth keys),
:mod:`~lineage.sim.catalog` (families, first-party models, licences, modalities),
:mod:`~lineage.sim.shape` (the real Hub's published figures it is calibrated to),
:mod:`~lineage.sim.plan` (models per month and kind), :mod:`~lineage.sim.build` (the DAG),
:mod:`~lineage.sim.dirt` (dirty metadata), :mod:`~lineage.sim.licenses` (licence classes, drift).
The server — :mod:`~lineage.sim.server` (``SimHub``: HTTP), :mod:`~lineage.sim.models` (the served
models and changes between crawls), :mod:`~lineage.sim.table` (storage, orders),
:mod:`~lineage.sim.listing` (query parameters, cursors, filters), :mod:`~lineage.sim.faults`.
None of them imports anything from lineage outside this package: the fake Hub must not share
code with the code it tests. :mod:`~lineage.sim.demo` crawls it into a store.
"""
