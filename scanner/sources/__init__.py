"""Sources yield the artifacts a scan reads: the working tree, git history, staged changes..."""
