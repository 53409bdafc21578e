"""JavaScript and TypeScript: tree-sitter parsing (JS, TS, TSX)."""
