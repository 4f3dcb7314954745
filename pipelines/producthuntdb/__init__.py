"""ProductHuntDB: a budget-aware ELT pipeline from the Product Hunt API v2 into DuckDB."""

__version__ = "0.1.0"
