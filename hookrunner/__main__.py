from __future__ import annotations

from hookrunner.cli.main import main

if __name__ == "__main__":
    main()
