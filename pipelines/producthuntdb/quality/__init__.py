"""Quality gate: Great Expectations suites over the marts, validated in DuckDB (SQL pushdown).

GX is imported only inside :func:`run_gate`, so importing this package (for ``GateReport`` in the
CLI, or the specs in the export) stays cheap.
"""

from producthuntdb.quality.gate import Failure, GateReport, run_gate

__all__ = ["Failure", "GateReport", "run_gate"]
