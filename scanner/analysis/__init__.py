"""Project-level analyses shared by code detectors (route model, data models...), built in the index pass."""
