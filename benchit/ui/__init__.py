"""What people read on the console: the model tree, the progress line, the run's closing lines."""
