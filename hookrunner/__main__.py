from __future__ import annotations

from hookrunner.main import main

if __name__ == "__main__":
    main()
