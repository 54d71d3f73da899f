from __future__ import annotations

from hookrunner.cli import main

if __name__ == "__main__":
    main()
