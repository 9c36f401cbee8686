"""Speed benchmarks of striate against PyTorch, measured side by side in one process."""
