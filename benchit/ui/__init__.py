"""What benchit prints for people: the model tree, status lines, progress."""
