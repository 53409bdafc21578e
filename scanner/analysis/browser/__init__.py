"""What reaches the browser: client entry points and the closure of their imports (``BrowserReach``)."""
