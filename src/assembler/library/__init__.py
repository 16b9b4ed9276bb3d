"""The keeper's tools: lint, import, provenance and explain, similarity and near copies, init, blank workbook."""
