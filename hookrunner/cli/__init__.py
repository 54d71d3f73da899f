"""The ``hookrunner`` command: the entry point, its two argument parsers, the
full run and the quick run that answers from the cache, and list, init and
install."""
