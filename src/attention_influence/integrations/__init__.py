"""Steps for other tools' pipelines (extra `datatrove`): score and filter documents inside a
user's own datatrove pipeline."""
