"""Allow ``python -m scanner``."""

from scanner.cli import main

if __name__ == "__main__":
    main()
