"""Python: libcst parsing, tree walking, function index, import and name resolution."""
