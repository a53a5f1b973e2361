"""The knowledge-base layer: extraction runs over a corpus (the pipeline applied to
stored records), the knowledge graph (networkx) and the questions asked of it."""
