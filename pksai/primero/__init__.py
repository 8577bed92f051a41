"""Case exchange with Primero v2 (issue 21 point 2, decision 0038, docs/primero-mapping.md)."""
