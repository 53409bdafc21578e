"""Agent tools in Python code: tool frameworks, effects followed across modules, prompt construction."""
