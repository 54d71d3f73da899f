"""Git beside the pipeline: commands, the index file, the repository lock and
hiding unstaged work while tasks run."""
