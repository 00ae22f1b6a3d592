"""Bulk ingestion on a Ray cluster (`navsearch ingest --ray`), on the ingest's own code path.

Ray Data carries the files through two actor pools: ``stages.ParseChunk`` (the parser
registry in a ParseWorker under the ingest limits, then the chunker) and ``stages.Embed``
(one encoder per actor, GPUs where the cluster has them). The driver (``ray_ingest``)
plans and commits through the Indexer exactly as a plain ingest does, one transaction per
file, so whichever store the settings configure receives the same rows. Ray is imported
only in these modules, and only when a cluster ingest runs.
"""
