"""Sub-commands of the `quantis` command, one module each."""
