"""The engine: a task graph run on asyncio with supervised child processes.

It knows nothing of git, the cache, click or the command line; the design
document's Python API (``from hookrunner import ParallelExecutor``) is this
package alone. Its modules are imported where they are used, so that a git
hook pays only for what its run needs.
"""
