"""The repository on disk: the agent tree, YAML in and out, file names, atomic writes, git objects."""
