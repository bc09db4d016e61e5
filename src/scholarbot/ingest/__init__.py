"""Files -> records -> store: importers, people resolution, identity evidence, enrichment, the pipeline."""
