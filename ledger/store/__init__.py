"""The store: DuckDB connection and schema, exactly-once ingest, prices and the hourly rollup."""

from .store import HEAD_BYTES, Ingested, NotAStore, Source, Store, StoreBusy, StoreError, StoreTrouble, first, trouble

__all__ = ["HEAD_BYTES", "Ingested", "NotAStore", "Source", "Store", "StoreBusy", "StoreError", "StoreTrouble", "first",
           "trouble"]
