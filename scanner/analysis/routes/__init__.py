"""HTTP routes: one model of entry points and the guards before them; intent decided once for every language."""
