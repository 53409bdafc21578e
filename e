/dev/fd/3: line 81: scan: command not found
